/**
 * Scenario files: a command's settings as one JSON object instead of flags (docs/scenario.md).
 * This module reads the file and checks its shape (a JSON object, known fields, JSON types); each
 * field comes back as the text its flag would have carried, named after the file and the field, so
 * the command checks values and ranges with the same rules and messages as its flags.
 */
import { readFileSync } from "node:fs";
import { UsageError } from "./cli.js";

/** A bad scenario file: the message is one whole line, naming the file and the field. */
export class ScenarioFileError extends UsageError {
  override name = "ScenarioFileError";
}

export interface ScenarioField {
  /** The flag this field stands for, without the dashes. */
  flag: string;
  type: "number" | "string";
}

/** A setting's text and the name its error messages give it (`--nodes`, or `mesh.json: nodes`). */
export interface SettingText {
  raw: string;
  name: string;
  fromFile: boolean;
}

/** Reads `path`; returns its fields by flag. Throws ScenarioFileError. */
export function readScenarioFile(path: string, fields: Readonly<Record<string, ScenarioField>>): Map<string, SettingText> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioFileError(`${path}: cannot read the scenario file (${code === "ENOENT" ? "no such file" : code ?? String(e)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ScenarioFileError(`${path}: not JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ScenarioFileError(`${path}: a scenario file is one JSON object, {"nodes": 50, ...}`);
  }
  const settings = new Map<string, SettingText>();
  for (const [key, value] of Object.entries(parsed)) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!field) throw new ScenarioFileError(`${path}: unknown field "${key}"; the fields are: ${Object.keys(fields).join(", ")}`);
    if (typeof value !== field.type) {
      const got = value === null ? "null" : Array.isArray(value) ? "an array" : `${typeof value} ${JSON.stringify(value)}`;
      throw new ScenarioFileError(`${path}: ${key} must be a JSON ${field.type}, got ${got}`);
    }
    settings.set(field.flag, { raw: String(value), name: `${path}: ${key}`, fromFile: true });
  }
  return settings;
}
