/**
 * ChatLS agent approvals among `window/showMessageRequest` requests. The server asks them in plain LSP (every
 * editor can answer), so the panel recognises its own by their fixed wording (server/chatls/agent/host.py
 * and tools.py) and shows them inline; any other request keeps VS Code's notification.
 */

/** An approval the agent asks, as the panel shows it. */
export interface AgentApproval {
  /** "command": run a command line; "tool": call an MCP tool; "edits": apply edits without a review. */
  kind: "command" | "tool" | "edits";
  /** The step it belongs to: "run_command", the MCP tool's name, or "propose_edits". */
  tool: string;
  /** The command line, the tool's arguments (JSON, cut at 300 characters), or the files. */
  subject: string;
  /** The server's titles: the first approves, the second declines. */
  yes: string;
  no: string;
}

/** LSP's MessageActionItem (it may carry more properties, returned as they came). */
export interface MessageAction {
  title: string;
  [key: string]: string | number | boolean | object;
}

export interface MessageRequest {
  type: number;
  message: string;
  actions?: MessageAction[] | null;
}

const COMMAND = /^ChatLS agent wants to run: ([\s\S]+)$/;
const MCP_TOOL = /^Let the agent call the MCP tool (\S+) with ([\s\S]*)\?$/;
const EDITS = /^Apply the ChatLS agent's changes to ([\s\S]+)\?$/;

/** The agent approval this request is, or undefined for any other message request. */
export function parseApproval(request: MessageRequest): AgentApproval | undefined {
  const actions = request.actions ?? [];
  if (actions.length !== 2) {
    return undefined;
  }
  const [yes, no] = [actions[0].title, actions[1].title];
  const command = COMMAND.exec(request.message);
  if (command) {
    return { kind: "command", tool: "run_command", subject: command[1], yes, no };
  }
  const tool = MCP_TOOL.exec(request.message);
  if (tool) {
    return { kind: "tool", tool: tool[1], subject: tool[2], yes, no };
  }
  const edits = EDITS.exec(request.message);
  if (edits) {
    return { kind: "edits", tool: "propose_edits", subject: edits[1], yes, no };
  }
  return undefined;
}

/** The action to answer with: the approving one, the declining one, or none (dismissed: declined). */
export function answerFor(request: MessageRequest, allow: boolean | null): MessageAction | null {
  const actions = request.actions ?? [];
  if (allow === null) {
    return null;
  }
  return (allow ? actions[0] : actions[1]) ?? null;
}
