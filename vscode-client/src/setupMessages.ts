/** What "ChatLS: Set Up Server" tells the user when it cannot set the server up: pure, so it is unit-tested. */

export type SetupStep = "venv" | "pip";

export type SetupFailure =
  | { kind: "noWheel" }
  | { kind: "noPython"; tried: string[] }
  | { kind: "step"; step: SetupStep; python: string; venvDir: string; detail: string }
  | { kind: "cancelled" };

export interface SetupMessage {
  /** What happened and what to do, in one notification. */
  text: string;
  /** Offer a "Show Log" button: the log holds the failing command's output. */
  offerLog: boolean;
}

const RETRY = "then run 'ChatLS: Set Up Server' again";

export function setupFailureMessage(failure: SetupFailure): SetupMessage {
  switch (failure.kind) {
    case "noWheel":
      return {
        text: "ChatLS: this copy of the extension has no bundled server (it was built without " +
          "vscode-client/scripts/build.sh). chatls is not on any package registry: install it from a clone of the " +
          "ChatLS repository (python -m pip install ./chatls in a virtual environment) and set " +
          "'chatls.server.pythonPath' to that environment's Python.",
        offerLog: false,
      };
    case "noPython": {
      const tried = failure.tried.length > 0
        ? `none of ${failure.tried.join(", ")} is Python 3.10 or newer with the venv module`
        : "no python3 or python on PATH, no Python extension interpreter and no 'chatls.server.pythonPath'";
      return {
        text: `ChatLS: cannot set up the server: no usable Python found (${tried}). Install Python 3.10 or newer ` +
          "(on Debian/Ubuntu also the python3-venv package) or set 'chatls.server.pythonPath' to one, " +
          `${RETRY}.`,
        offerLog: false,
      };
    }
    case "step":
      if (failure.step === "venv") {
        return {
          text: `ChatLS: cannot set up the server: creating a virtual environment in ${failure.venvDir} with ` +
            `${failure.python} failed (${failure.detail}). Check that its venv module works (on Debian/Ubuntu ` +
            `install python3-venv) and that the folder is writable, or set 'chatls.server.pythonPath' to another ` +
            `Python, ${RETRY}. The log has the details.`,
          offerLog: true,
        };
      }
      return {
        text: `ChatLS: cannot set up the server: installing chatls with pip failed (${failure.detail}). pip ` +
          "downloads the dependencies from PyPI: check the network connection or proxy (pip honours " +
          `PIP_INDEX_URL and HTTPS_PROXY), ${RETRY}. The log has pip's output.`,
        offerLog: true,
      };
    case "cancelled":
      return { text: `ChatLS: server set-up was cancelled; run 'ChatLS: Set Up Server' to start it again.`, offerLog: false };
  }
}

/** Why a set-up command failed, from its exit and the last thing it printed (pip's last line names the cause). */
export function stepFailureDetail(command: string, code: number | null, lastOutput: string | undefined): string {
  const exit = code === null ? `${command} was killed` : `${command} exited with status ${code}`;
  const last = lastOutput?.trim();
  return last ? `${exit}: ${last}` : exit;
}
