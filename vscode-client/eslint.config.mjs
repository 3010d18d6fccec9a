// Lint: eslint's recommended rules everywhere; typescript-eslint's type-aware recommended set on TypeScript.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeAndBrowserGlobals = {
  console: "readonly", process: "readonly", window: "readonly", document: "readonly", URL: "readonly",
};

export default tseslint.config(
  { ignores: ["dist/**", "out/**", "node_modules/**", "bundled/**"] },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./tsconfig.webview.json", "./tsconfig.test.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "eqeqeq": ["error", "always"],
      "no-console": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // node:test's test() returns a promise the runner awaits itself
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-floating-promises": "off" },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { sourceType: "module", globals: nodeAndBrowserGlobals },
    rules: { "eqeqeq": ["error", "always"] },
  },
);
