/** chatls/models results -> profile choices for the pickers (tolerant of optional fields). */

import type { ProfileChoice } from "./messages";
import type { ProfileSetting } from "./settings";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function firstString(...values: unknown[]): string | null {
  for (const value of values) {
    if (typeof value === "string" && value) {
      return value;
    }
  }
  return null;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** One entry of chatls/models: `{name, model?, deployment, capabilities?: {family, reasoning, details}}`. */
export function choiceFromModel(entry: unknown): ProfileChoice | undefined {
  if (!isObject(entry)) {
    return undefined;
  }
  const caps = isObject(entry.capabilities) ? entry.capabilities : {};
  const details = isObject(caps.details) ? caps.details : {};
  const name = firstString(entry.name, entry.profile);
  if (!name) {
    return undefined;
  }
  const deployment: unknown = Array.isArray(entry.deployment) ? (entry.deployment as unknown[])[0] : entry.deployment;
  return {
    name,
    model: firstString(entry.model, caps.model, caps.family, entry.family, deployment),
    reasoning: entry.reasoning === true || caps.reasoning === true,
    // the server's capability row lists accepted values as details.reasoning_efforts
    reasoningEfforts: stringList(caps.reasoningEfforts ?? details.reasoning_efforts ?? details.reasoningEfforts),
  };
}

/** The chatls/models result (an array, or an object holding `profiles`/`models`). */
export function choicesFromModels(result: unknown): ProfileChoice[] {
  const list = Array.isArray(result) ? result : isObject(result) ? (result.profiles ?? result.models) : undefined;
  return Array.isArray(list) ? list.map(choiceFromModel).filter((c): c is ProfileChoice => c !== undefined) : [];
}

/** Fallback when the server is not running: the profiles setting, without capabilities. */
export function choicesFromSettings(profiles: readonly ProfileSetting[]): ProfileChoice[] {
  return profiles.map((p) => ({
    name: p.name,
    model: firstString(p.model, Array.isArray(p.deployment) ? p.deployment[0] : p.deployment),
    reasoning: false,
    reasoningEfforts: [],
  }));
}

/** The profile to use: the picked one if it still exists, else the default, else the first. */
export function activeProfile(choices: readonly ProfileChoice[], picked: string | undefined, defaultProfile: string | undefined): string | null {
  const names = choices.map((c) => c.name);
  if (picked && names.includes(picked)) {
    return picked;
  }
  if (defaultProfile && names.includes(defaultProfile)) {
    return defaultProfile;
  }
  return names[0] ?? null;
}
