/** ChatLS settings: what goes to the server, what stays in the client, and which changes need a restart. */

/** Keys of the `chatls` section the server reads (initializationOptions and workspace/configuration). */
export const SERVER_KEYS = [
  "profiles", "defaultProfile", "instructions", "reasoningEffort", "stateDir", "logLevel", "maxHistoryMessages",
  "maxCompletionTokens", "reasoningMaxCompletionTokens", "contextWindowReserve", "requestTimeoutSeconds", "retryMaxAttempts",
  "retryMaxWaitSeconds", "contextLines", "modelsFile", "reasoningSummaries", "maxFileBytes", "maxEditBytes",
  "confirmEdits", "agentMaxSteps", "agentRunCommands", "agentCommandShell", "agentCommandTimeoutSeconds",
  "agentApprovalTimeoutSeconds", "agentAllowSecretFiles", "agentSecretPatterns", "mcpServers",
] as const;

/** Sub-sections only the extension uses; never sent to the server. */
export const CLIENT_ONLY_KEYS = ["server", "trace"] as const;

/**
 * Settings the server only reads when it starts: how it is started (interpreter, arguments, log level), the
 * environment its keys come through (profiles), and the database it opens (state directory).
 */
export const RESTART_SETTINGS = ["chatls.server", "chatls.profiles", "chatls.logLevel", "chatls.stateDir"] as const;

export const DEFAULT_API_KEY_ENV = "AZURE_OPENAI_API_KEY";

export interface ProfileSetting {
  name: string;
  auth?: string;
  apiKeyEnv?: string;
  model?: string;
  deployment?: string | string[];
  reasoningEffort?: string;
  [key: string]: unknown;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "") {
    return true;
  }
  return typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0;
}

/**
 * The `chatls` section as the server should see it: client-only keys removed, and unset values (VS Code's
 * empty-string / empty-object defaults) left out so the server's own defaults and other layers apply.
 */
export function serverSection(section: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section ?? {})) {
    if ((CLIENT_ONLY_KEYS as readonly string[]).includes(key) || isEmpty(value)) {
      continue;
    }
    result[key] = value;
  }
  return result;
}

/** initializationOptions from a settings getter (e.g. `workspace.getConfiguration("chatls").get`). */
export function initializationOptions(get: (key: string) => unknown): Record<string, unknown> {
  const section: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    section[key] = get(key);
  }
  return serverSection(section);
}

/** The profiles setting, keeping only entries with a usable name. */
export function profilesFromSetting(value: unknown): ProfileSetting[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.filter(
    (p): p is ProfileSetting => typeof p === "object" && p !== null && typeof (p as { name?: unknown }).name === "string"
      && (p as { name: string }).name.trim() !== "",
  );
}

/** Environment variable the server reads a profile's key from. */
export function apiKeyEnvName(profile: ProfileSetting): string {
  return typeof profile.apiKeyEnv === "string" && profile.apiKeyEnv.trim() ? profile.apiKeyEnv.trim() : DEFAULT_API_KEY_ENV;
}

/** True for profiles that authenticate with a key (not Entra ID). */
export function usesApiKey(profile: ProfileSetting): boolean {
  return profile.auth === undefined || profile.auth === "apiKey";
}

/** Whether a settings change (tested with `affects`) needs a server restart. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_SETTINGS.some((section) => affects(section));
}

/** `${workspaceFolder}`, `${userHome}` and `~` expanded; relative paths resolved against the folder. */
export function expandPath(value: string, workspaceFolder: string | undefined, home: string): string {
  let result = value.trim()
    .replace(/\$\{userHome\}/g, home)
    .replace(/^~(?=$|[\\/])/, home);
  if (workspaceFolder) {
    result = result.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    if (result && !/^([\\/]|[A-Za-z]:[\\/])/.test(result) && /[\\/]/.test(result)) {
      result = `${workspaceFolder}/${result}`;
    }
  }
  return result;
}
