/**
 * The server's work-done progress (a code action running) as a notification instead of vscode-languageclient's
 * status-bar item: the server's own title ("ChatLS: Fix"), its messages (the reply's latest line as it
 * arrives, the thinking time, rate-limit waits) and a Cancel button that sends `window/workDoneProgress/cancel`,
 * which is how the server cancels a command (pygls runs commands under an internal id, so `$/cancelRequest`
 * cannot reach them).
 */

import * as vscode from "vscode";
import {
  type LanguageClient,
  type ProgressToken,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from "vscode-languageclient/node";

/** Take over `window/workDoneProgress/create` for `client` (call after `client.start()`). */
export function showProgressAsNotifications(client: LanguageClient): vscode.Disposable {
  const parts = new Set<vscode.Disposable>();
  const created = client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
    parts.add(follow(client, params.token, (part) => parts.delete(part)));
  });
  return {
    dispose: () => {
      created.dispose();
      for (const part of parts) {
        part.dispose();
      }
    },
  };
}

function follow(client: LanguageClient, token: ProgressToken, done: (part: vscode.Disposable) => void): vscode.Disposable {
  let report: ((message: string | undefined) => void) | undefined;
  let finish: (() => void) | undefined;
  let ended = false;
  const part: vscode.Disposable = {
    dispose: () => {
      ended = true;
      listening.dispose();
      finish?.();
      done(part);
    },
  };
  const listening = client.onProgress(WorkDoneProgress.type, token, (value) => {
    if (value.kind === "begin" && !ended) {
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: value.title, cancellable: value.cancellable === true },
        (progress, cancel) => new Promise<void>((resolve) => {
          finish = resolve;
          report = (message) => progress.report({ message: message ?? "" });
          cancel.onCancellationRequested(() => {
            void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
          });
          if (ended) {
            resolve();
          }
          report(value.message);
        }),
      );
    } else if (value.kind === "report") {
      report?.(value.message);
    } else if (value.kind === "end") {
      part.dispose();
    }
  });
  return part;
}
