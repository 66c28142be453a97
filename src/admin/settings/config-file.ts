/**
 * Writing option values into the INI config file (i2pd syntax, read by src/config/load.ts) while
 * keeping everything else in it — comments, order, other options — as the owner wrote it. A key that
 * is already set is changed in place; a new key goes into its `[section]` (the part of its name before
 * the first dot), which is appended when missing; a key without a dot goes before the first section.
 * The result is checked with the config loader's own validation before it is written atomically.
 */
import { readFile } from 'node:fs/promises';
import { applyConfigFile } from '../../config/load.js';
import { defaultConfig } from '../../config/options.js';
import { writeFileAtomic } from '../../util/atomic-file.js';

const SECTION = /^\s*\[([A-Za-z0-9_.-]+)\]\s*$/;

/** An option value as it is written in the file. */
export function iniValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Returns `text` with each `name = value` of `changes` set (names are full option names, e.g. `gateway.mode`). */
export function setIniValues(text: string, changes: ReadonlyMap<string, string>): string {
  for (const v of changes.values()) if (/[\r\n]/.test(v)) throw new RangeError('a config value cannot contain a line break');
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const left = new Map(changes);
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const sec = SECTION.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const name = section ? `${section}.${key}` : key;
    const v = left.get(name);
    if (v === undefined) continue;
    lines[i] = `${line.slice(0, line.indexOf(key))}${key} = ${v}`;
    left.delete(name);
  }
  for (const [name, v] of left) {
    const dot = name.indexOf('.');
    if (dot < 0) {
      const firstSection = lines.findIndex((l) => SECTION.test(l));
      let at = firstSection < 0 ? lines.length : firstSection;
      while (at > 0 && lines[at - 1]!.trim() === '') at--;
      lines.splice(at, 0, `${name} = ${v}`);
      continue;
    }
    const prefix = name.slice(0, dot);
    const key = name.slice(dot + 1);
    const start = lines.findIndex((l) => SECTION.exec(l)?.[1] === prefix);
    if (start < 0) {
      if (lines.length > 0 && lines[lines.length - 1]!.trim() !== '') lines.push('');
      lines.push(`[${prefix}]`, `${key} = ${v}`);
      continue;
    }
    let end = start + 1;
    while (end < lines.length && !SECTION.test(lines[end]!)) end++;
    let at = end;
    while (at > start + 1 && lines[at - 1]!.trim() === '') at--;
    lines.splice(at, 0, `${key} = ${v}`);
  }
  return lines.join('\n') + '\n';
}

/** The file's text, or '' when it does not exist. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/** Sets the values in the config file: read, change, validate as the loader would, write atomically (0600: it may hold passwords). */
export async function writeConfigValues(path: string, changes: ReadonlyMap<string, string>): Promise<void> {
  const text = setIniValues(await readConfigText(path), changes);
  applyConfigFile(defaultConfig('/'), text, path);
  await writeFileAtomic(path, text, 0o600);
}
