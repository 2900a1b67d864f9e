/**
 * Streams the records of a Discogs dump (`<releases><release>…</release>…`) as small element trees,
 * one record at a time, so memory stays constant on the real 10+ GB files. `.gz` is unzipped on the fly.
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { SaxesParser } from "saxes";
import { InvalidInputError } from "../../../core/errors.js";

/** An element: name, attributes, child elements and its own text. */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Bytes of the (compressed) file read so far, updated as the stream is consumed; for progress and ETA. */
export interface DumpProgress {
  bytesRead: number;
  /** Texts cut at MAX_TEXT characters (a hostile or broken dump). */
  truncated?: number;
  /** Characters XML forbids (control characters) dropped. */
  repaired?: number;
  /** Records that could not be converted, skipped: how many, and the first few ids with why. */
  skipped?: number;
  skippedIds?: string[];
}

/**
 * The longest text kept of any one element: far above any real title, name or note line, and what
 * keeps memory constant when a dump holds a 100 MiB title or a gigabyte of whitespace.
 */
export const MAX_TEXT = 4096;

// Characters XML 1.0 forbids: C0 controls other than tab, newline and carriage return.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to drop
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * Cleans the dump's characters before the XML parser sees them, chunk by chunk: drops characters XML
 * forbids (one bad title must not abort a build), and cuts every text run (between a ">" and the next
 * "<") at MAX_TEXT characters, at an entity boundary, so no element's text can grow without bound.
 */
export function createTextGuard(progress?: DumpProgress) {
  let inTag = false;
  let run = 0;
  let cut = false;
  return (input: string): string => {
    let chunk = input;
    if (FORBIDDEN.test(chunk)) {
      FORBIDDEN.lastIndex = 0;
      const before = chunk.length;
      chunk = chunk.replace(FORBIDDEN, "");
      if (progress) progress.repaired = (progress.repaired ?? 0) + (before - chunk.length);
    }
    FORBIDDEN.lastIndex = 0;
    let out = "";
    let i = 0;
    while (i < chunk.length) {
      if (inTag) {
        const end = chunk.indexOf(">", i);
        if (end < 0) {
          out += chunk.slice(i);
          break;
        }
        out += chunk.slice(i, end + 1);
        i = end + 1;
        inTag = false;
        run = 0;
        cut = false;
        continue;
      }
      const open = chunk.indexOf("<", i);
      const stop = open < 0 ? chunk.length : open;
      const room = MAX_TEXT - run;
      if (!cut && stop - i <= room) {
        out += chunk.slice(i, stop);
        run += stop - i;
      } else if (!cut) {
        let kept = chunk.slice(i, i + room);
        // Never leave half an entity ("&am") behind.
        const amp = kept.lastIndexOf("&");
        if (amp >= 0 && kept.indexOf(";", amp) < 0) kept = kept.slice(0, amp);
        out += kept;
        cut = true;
        if (progress) progress.truncated = (progress.truncated ?? 0) + 1;
      }
      if (open < 0) break;
      i = open;
      inTag = true;
    }
    return out;
  };
}

/** The dump kinds and their record element. */
export const DUMP_KINDS = {
  releases: "release",
  masters: "master",
  artists: "artist",
  labels: "label",
} as const;
export type DumpKind = keyof typeof DUMP_KINDS;

/**
 * Reads a dump file and yields each top-level record as an XmlNode, with the dump's kind. A record whose
 * XML is broken (a mismatched tag, say) is skipped, counted and named in `progress`, and reading goes on
 * after its closing tag with a fresh parser; a dump broken outside its records is an error.
 */
export async function* readXmlRecords(
  path: string,
  progress?: DumpProgress,
): AsyncGenerator<{ kind: DumpKind; node: XmlNode }> {
  let stack: XmlNode[] = [];
  let kind: DumpKind | undefined;
  const ready: XmlNode[] = [];
  let parseError: Error | undefined;
  /** A broken record: where the parser found it (an index into all text written), and which it was. */
  let broken: { at: number; readyBefore: number; id: string; message: string } | undefined;

  const makeParser = () => {
    const parser = new SaxesParser();
    // Once a record breaks, this parser's further events are ignored (its state is no longer sound).
    let dead = false;
    parser.on("opentag", (tag) => {
      if (dead) return;
      const node: XmlNode = {
        name: tag.name,
        attrs: tag.attributes as Record<string, string>,
        children: [],
        text: "",
      };
      if (stack.length === 0) {
        if (!(tag.name in DUMP_KINDS)) {
          parseError = new Error(
            `root element <${tag.name}> is not one of ${Object.keys(DUMP_KINDS).join(", ")}`,
          );
        }
        kind = tag.name as DumpKind;
      } else {
        stack.at(-1)?.children.push(node);
      }
      stack.push(node);
    });
    parser.on("text", (t) => {
      if (dead) return;
      const top = stack.at(-1);
      if (top && stack.length > 1) top.text += t;
    });
    parser.on("closetag", () => {
      if (dead) return;
      const node = stack.pop();
      if (stack.length === 1 && node) {
        ready.push(node);
        // Detach it from the root so finished records can be collected.
        stack[0]!.children.length = 0;
      }
    });
    parser.on("error", (err) => {
      if (dead) return;
      // Inside a record, the record is lost, not the dump.
      if (stack.length >= 2 && kind && !broken && !parseError) {
        dead = true;
        broken = {
          at: parser.position,
          readyBefore: ready.length,
          id: String(stack[1]!.attrs.id ?? "?").slice(0, 20),
          message: err.message.split("\n")[0]!.slice(0, 120),
        };
      } else parseError ??= err;
    });
    return parser;
  };
  let parser = makeParser();
  /** Characters written to the current parser, and the closing tag being skipped to, if any. */
  let written = 0;
  let skipTo: string | null = null;

  /** Feeds text to the parser; after a broken record, resumes past its closing tag. */
  const feed = (text: string) => {
    let rest = text;
    while (rest.length > 0) {
      if (skipTo) {
        const end = rest.indexOf(skipTo);
        if (end < 0) return;
        rest = rest.slice(end + skipTo.length);
        skipTo = null;
        // A fresh parser inside the root, as if the broken record had never been.
        parser = makeParser();
        written = 0;
        const root = kind!;
        stack = [];
        parser.write(`<${root}>`);
        written = parser.position;
        continue;
      }
      const base = written;
      parser.write(rest);
      written += rest.length;
      if (!broken) return;
      const b = broken;
      broken = undefined;
      // Records the parser finished after the break are not to be trusted.
      ready.length = b.readyBefore;
      if (progress) {
        progress.skipped = (progress.skipped ?? 0) + 1;
        progress.skippedIds ??= [];
        if (progress.skippedIds.length < 10)
          progress.skippedIds.push(`${DUMP_KINDS[kind!]} ${b.id}: broken XML (${b.message})`);
      }
      skipTo = `</${DUMP_KINDS[kind!]}>`;
      rest = rest.slice(Math.max(0, b.at - base));
    }
  };

  const input = createReadStream(path);
  if (progress) input.on("data", (chunk) => (progress.bytesRead += chunk.length));
  const stream = path.endsWith(".gz") ? input.pipe(createGunzip()) : input;
  input.on("error", (err) => stream.destroy(err));
  // Decode as a stream, so a character split across two chunks stays whole.
  stream.setEncoding("utf8");
  const guard = createTextGuard(progress);
  try {
    for await (const chunk of stream) {
      feed(guard(chunk as string));
      if (parseError) throw parseError;
      while (ready.length > 0) yield { kind: kind!, node: ready.shift()! };
    }
    if (!skipTo) parser.close();
    if (parseError) throw parseError;
    while (ready.length > 0) yield { kind: kind!, node: ready.shift()! };
  } catch (err) {
    stream.destroy();
    const reason =
      (err as NodeJS.ErrnoException).code === "Z_BUF_ERROR"
        ? "truncated gzip stream"
        : (err as Error).message;
    throw new InvalidInputError(`dump: cannot read "${path}": ${reason}`, { cause: err, field: "file" });
  }
}

/** The first child named `name`. */
export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** The children named `name`, or the children of the child named `name` when `inner` is given. */
export function children(node: XmlNode, name: string, inner?: string): XmlNode[] {
  if (inner) return child(node, name)?.children.filter((c) => c.name === inner) ?? [];
  return node.children.filter((c) => c.name === name);
}

/** The text of the first child named `name`, trimmed; "" when absent. */
export function text(node: XmlNode, name: string): string {
  return child(node, name)?.text.trim() ?? "";
}
