/** API keys per profile in VS Code's SecretStorage (never settings.json, never a log). */

import type * as vscode from "vscode";

const PREFIX = "chatls.apiKey.";

export class ApiKeys {
  constructor(private readonly storage: vscode.SecretStorage) {}

  async get(profile: string): Promise<string | undefined> {
    return this.storage.get(PREFIX + profile);
  }

  async set(profile: string, key: string): Promise<void> {
    await this.storage.store(PREFIX + profile, key);
  }

  async delete(profile: string): Promise<void> {
    await this.storage.delete(PREFIX + profile);
  }

  /** Stored keys of the given profiles. */
  async forProfiles(profiles: readonly string[]): Promise<Map<string, string>> {
    const keys = new Map<string, string>();
    for (const profile of profiles) {
      const key = await this.get(profile);
      if (key) {
        keys.set(profile, key);
      }
    }
    return keys;
  }
}
