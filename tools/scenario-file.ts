/**
 * Scenario files: a command's settings as one JSON object or YAML mapping instead of flags
 * (docs/scenario.md). This module reads the file and checks its shape (one object, known fields,
 * number or string types); each field comes back as the text its flag would have carried, named
 * after the file (with the field's line, in YAML) and the field, so the command checks values and
 * ranges with the same rules and messages as its flags.
 *
 * A file named *.json is read as JSON; any other as YAML 1.2 (the `yaml` package, core schema),
 * which also reads JSON, so a JSON scenario under another name still works.
 */
import { readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
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

/** One top-level field as the file wrote it; `at` is `path: ` or, where the line is known, `path:line: `. */
interface FileEntry {
  key: string;
  value: unknown;
  at: string;
}

type Format = "JSON" | "YAML";

/** Reads `path`; returns its fields by flag. Throws ScenarioFileError. */
export function readScenarioFile(path: string, fields: Readonly<Record<string, ScenarioField>>): Map<string, SettingText> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioFileError(`${path}: cannot read the scenario file (${code === "ENOENT" ? "no such file" : code ?? String(e)})`);
  }
  const format: Format = /\.json$/i.test(path) ? "JSON" : "YAML";
  const entries = format === "JSON" ? jsonEntries(path, text) : yamlEntries(path, text);
  const settings = new Map<string, SettingText>();
  for (const { key, value, at } of entries) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!field) throw new ScenarioFileError(`${at}unknown field "${key}"; the fields are: ${Object.keys(fields).join(", ")}`);
    if (typeof value !== field.type) {
      const got = value === null ? "null" : Array.isArray(value) ? "an array" : `${typeof value} ${JSON.stringify(value)}`;
      throw new ScenarioFileError(`${at}${key} must be a ${format} ${field.type}, got ${got}`);
    }
    settings.set(field.flag, { raw: String(value), name: `${at}${key}`, fromFile: true });
  }
  return settings;
}

function jsonEntries(path: string, text: string): FileEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ScenarioFileError(`${path}: not JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ScenarioFileError(`${path}: a scenario file is one JSON object, {"nodes": 50, ...}`);
  }
  return Object.entries(parsed).map(([key, value]) => ({ key, value, at: `${path}: ` }));
}

function yamlEntries(path: string, text: string): FileEntry[] {
  const lines = new LineCounter();
  // Core schema: YAML 1.2, where `yes` and `2:4` stay strings; a repeated key is an error.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, schema: "core" });
  const [error] = doc.errors;
  if (error) {
    const { line, col } = lines.linePos(error.pos[0]);
    throw new ScenarioFileError(`${path}:${line}:${col}: not YAML (${error.message.split("\n")[0]})`);
  }
  if (!isMap(doc.contents)) {
    throw new ScenarioFileError(`${path}: a scenario file is one YAML mapping, one "field: value" per line (nodes: 50)`);
  }
  return doc.contents.items.map((pair) => {
    const at = `${path}:${lines.linePos(pair.key.range[0]).line}: `;
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== "string") throw new ScenarioFileError(`${at}a field name must be a plain word, like nodes`);
    return { key, value: pair.value === null ? null : pair.value.toJS(doc), at };
  });
}
