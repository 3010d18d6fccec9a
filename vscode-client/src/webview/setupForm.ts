/** First run with no profile: a short guided set-up instead of an empty panel. */

import type { SetupForm } from "../messages";

/** What is wrong with the form, or null when it can be saved. */
export function setupProblem(form: SetupForm): string | null {
  if (!/^[\w.-]{1,64}$/.test(form.name)) {
    return "Profile name: letters, digits, '.', '_' or '-' (up to 64).";
  }
  let url: URL;
  try {
    url = new URL(form.endpoint);
  } catch {
    return "Endpoint: a URL such as https://contoso.openai.azure.com";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && /^(localhost|127\.0\.0\.1|\[::1\])$/.test(url.hostname))) {
    return "Endpoint: https is required (http only for localhost).";
  }
  if (!form.deployment.trim()) {
    return "Deployment: the name of the model deployment in your resource.";
  }
  if (form.auth === "apiKey" && !form.apiKey?.trim()) {
    return "API key: paste the resource's key (it goes to VS Code's secret storage, never to settings).";
  }
  return null;
}

export class SetupPanel {
  private readonly form: HTMLFormElement;
  private readonly problem: HTMLElement;
  private readonly save: HTMLButtonElement;

  constructor(private readonly root: HTMLElement, private readonly onSubmit: (form: SetupForm) => void) {
    this.form = root.querySelector("form") as HTMLFormElement;
    this.problem = root.querySelector(".setup-problem") as HTMLElement;
    this.save = root.querySelector("button[type=submit]") as HTMLButtonElement;
    const auth = this.field<HTMLSelectElement>("auth");
    const keyRow = root.querySelector(".setup-key") as HTMLElement;
    auth.addEventListener("change", () => { keyRow.hidden = auth.value !== "apiKey"; });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  get visible(): boolean {
    return !this.root.hidden;
  }

  show(visible: boolean): void {
    this.root.hidden = !visible;
  }

  /** The extension's answer to a submitted form. */
  result(ok: boolean, message?: string): void {
    this.save.disabled = false;
    if (ok) {
      this.field<HTMLInputElement>("apiKey").value = "";
      this.setProblem(message ?? "Saved. The server restarts with the new profile…");
    } else {
      this.setProblem(message ?? "The settings could not be written.");
    }
  }

  private field<T extends HTMLElement>(name: string): T {
    return this.form.elements.namedItem(name) as T;
  }

  private submit(): void {
    const auth = this.field<HTMLSelectElement>("auth").value === "entra" ? "entra" : "apiKey";
    const form: SetupForm = {
      name: this.field<HTMLInputElement>("name").value.trim(),
      endpoint: this.field<HTMLInputElement>("endpoint").value.trim(),
      deployment: this.field<HTMLInputElement>("deployment").value.trim(),
      auth,
      ...(auth === "apiKey" ? { apiKey: this.field<HTMLInputElement>("apiKey").value.trim() } : {}),
    };
    const problem = setupProblem(form);
    this.setProblem(problem ?? "");
    if (problem === null) {
      this.save.disabled = true;
      this.onSubmit(form);
    }
  }

  private setProblem(text: string): void {
    this.problem.textContent = text;
    this.problem.hidden = text === "";
  }
}
