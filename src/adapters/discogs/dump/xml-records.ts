/**
 * Streams the records of a Discogs dump (`<releases><release>…</release>…`) as small element trees,
 * one record at a time, so memory stays constant on the real 10+ GB files. `.gz` is unzipped on the fly.
 */
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
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
    // What is kept is copied only once something is dropped (from: the first character not yet in
    // `out`): a chunk whose text runs all fit, as nearly every chunk of a real dump, goes on as it is.
    let out = "";
    let from = 0;
    let dropped = false;
    let i = 0;
    while (i < chunk.length) {
      if (inTag) {
        const end = chunk.indexOf(">", i);
        if (end < 0) break;
        i = end + 1;
        inTag = false;
        run = 0;
        cut = false;
        continue;
      }
      const open = chunk.indexOf("<", i);
      const stop = open < 0 ? chunk.length : open;
      const room = MAX_TEXT - run;
      if (!cut && stop - i <= room) run += stop - i;
      else {
        let keep = 0;
        if (!cut) {
          keep = room;
          // Never leave half an entity ("&am") behind.
          const kept = chunk.slice(i, i + room);
          const amp = kept.lastIndexOf("&");
          if (amp >= 0 && kept.indexOf(";", amp) < 0) keep = amp;
          cut = true;
          if (progress) progress.truncated = (progress.truncated ?? 0) + 1;
        }
        out += chunk.slice(from, i + keep);
        from = stop;
        dropped = true;
      }
      if (open < 0) break;
      i = open;
      inTag = true;
    }
    return dropped ? out + chunk.slice(from) : chunk;
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

/** The parts of saxes 6.0.0's parser that DumpSaxesParser replaces or calls (internal to saxes). */
interface SaxesInternals {
  name: string;
  tag: { name: string; attributes: Record<string, string> };
  attribList: { name: string; value: string }[];
  state: number;
  sawRoot: boolean;
  closedRoot: boolean;
  fragmentOpt: boolean;
  openTagStartHandler?: (tag: SaxesInternals["tag"]) => void;
  captureNameChars(): number;
  openTag(): void;
  fail(message: string): void;
}

/** A tag's attributes when it has none: one object for all of them, never written. */
const NO_ATTRIBUTES: Record<string, string> = Object.freeze(Object.create(null));

/**
 * saxes' parser, but a tag with no attributes gets the one shared empty object instead of a dictionary
 * of its own. saxes makes a dictionary (Object.create(null)) for every tag, and most of a dump's tags
 * have none: they were 42 of the 145 KB that parsing and preparing a release allocated, and without them
 * a run of records is prepared 8% faster (183 against 200 µs a release, one thread, alternated runs).
 * It replaces two of saxes' internal methods, as saxes 6.0.0 (pinned in package.json) writes them, with
 * the empty case apart; the tests parse the four sample dumps with both parsers and compare every element.
 */
export class DumpSaxesParser extends SaxesParser {}
const dumpParser = DumpSaxesParser.prototype as unknown as SaxesInternals & {
  sOpenTag(this: SaxesInternals): void;
  processAttribsPlain(this: SaxesInternals): void;
};
dumpParser.sOpenTag = function sOpenTag(this: SaxesInternals) {
  const c = this.captureNameChars();
  if (c === EOC) return;
  const tag = { name: this.name, attributes: NO_ATTRIBUTES };
  this.tag = tag;
  this.name = "";
  this.openTagStartHandler?.call(this, tag);
  this.sawRoot = true;
  if (!this.fragmentOpt && this.closedRoot) this.fail("documents may contain only one root.");
  switch (c) {
    case GREATER:
      this.openTag();
      break;
    case FORWARD_SLASH:
      this.state = S_OPEN_TAG_SLASH;
      break;
    default:
      if (!(c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09))
        this.fail("disallowed character in tag name.");
      this.state = S_ATTRIB;
  }
};
dumpParser.processAttribsPlain = function processAttribsPlain(this: SaxesInternals) {
  const { attribList } = this;
  if (attribList.length === 0) return;
  const attributes: Record<string, string> = Object.create(null);
  this.tag.attributes = attributes;
  for (const { name, value } of attribList) {
    if (attributes[name] !== undefined) this.fail(`duplicate attribute: ${name}.`);
    attributes[name] = value;
  }
  this.attribList = [];
};
/** saxes 6.0.0's constants for what sOpenTag reads and sets. */
const EOC = -1;
const GREATER = 0x3e;
const FORWARD_SLASH = 0x2f;
const S_OPEN_TAG_SLASH = 35;
const S_ATTRIB = 36;

/**
 * The children of an element that has none: one array for all of them, never written (most of a
 * dump's elements are leaves; an array of their own each was 5 of the 111 KB a release allocates).
 */
const NO_CHILDREN: XmlNode[] = Object.freeze([]) as unknown as XmlNode[];

/**
 * A streaming record parser: text written in goes out as finished records (`ready`). A record whose XML
 * is broken (a mismatched tag, say) is skipped, counted and named in `progress`, and parsing goes on
 * after its closing tag with a fresh parser; a dump broken outside its records is an error (thrown).
 */
function recordParser(progress?: DumpProgress) {
  let stack: XmlNode[] = [];
  let kind: DumpKind | undefined;
  const ready: XmlNode[] = [];
  let parseError: Error | undefined;
  /** A broken record: where the parser found it (an index into all text written), and which it was. */
  let broken: { at: number; readyBefore: number; id: string; message: string } | undefined;

  const makeParser = () => {
    const parser = new DumpSaxesParser();
    // Once a record breaks, this parser's further events are ignored (its state is no longer sound).
    let dead = false;
    parser.on("opentag", (tag) => {
      if (dead) return;
      const node: XmlNode = {
        name: tag.name,
        attrs: tag.attributes as Record<string, string>,
        children: NO_CHILDREN,
        text: "",
      };
      if (stack.length === 0) {
        if (!(tag.name in DUMP_KINDS)) parseError = rootError(tag.name);
        kind = tag.name as DumpKind;
      } else {
        const parent = stack.at(-1)!;
        if (parent.children === NO_CHILDREN) parent.children = [node];
        else parent.children.push(node);
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
        stack[0]!.children = NO_CHILDREN;
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
  return {
    ready,
    kind: () => kind,
    write(text: string): void {
      feed(text);
      if (parseError) throw parseError;
    },
    end(): void {
      if (!skipTo) parser.close();
      if (parseError) throw parseError;
    },
  };
}

const rootError = (name: string) =>
  new Error(`root element <${name}> is not one of ${Object.keys(DUMP_KINDS).join(", ")}`);

/**
 * A dump file's bytes, unzipped when `.gz`; the file's bytes read so far go to `progress`. Sizes of
 * the reads and of gunzip's output chunks are node's defaults unless given.
 */
function dumpBytes(path: string, progress?: DumpProgress, sizes: { read?: number; gunzip?: number } = {}) {
  const input = createReadStream(path, sizes.read ? { highWaterMark: sizes.read } : {});
  if (progress) input.on("data", (chunk) => (progress.bytesRead += chunk.length));
  const stream = path.endsWith(".gz")
    ? input.pipe(createGunzip(sizes.gunzip ? { chunkSize: sizes.gunzip } : {}))
    : input;
  input.on("error", (err) => stream.destroy(err));
  return stream;
}

/** A dump file's text, unzipped when `.gz`, decoded and guarded (createTextGuard), chunk by chunk. */
function dumpText(path: string, progress?: DumpProgress) {
  const stream = dumpBytes(path, progress);
  // Decode as a stream, so a character split across two chunks stays whole.
  stream.setEncoding("utf8");
  const guard = createTextGuard(progress);
  return {
    stream,
    async *chunks(): AsyncGenerator<string> {
      for await (const chunk of stream) yield guard(chunk as string);
    },
  };
}

/** A dump file that cannot be read, as the error the user sees. */
function readError(path: string, err: unknown): InvalidInputError {
  if (err instanceof InvalidInputError) return err;
  const reason =
    (err as NodeJS.ErrnoException).code === "Z_BUF_ERROR" ? "truncated gzip stream" : (err as Error).message;
  return new InvalidInputError(`dump: cannot read "${path}": ${reason}`, { cause: err, field: "file" });
}

/**
 * Reads a dump file and yields each top-level record as an XmlNode, with the dump's kind. A record whose
 * XML is broken is skipped, counted and named in `progress` (recordParser); a dump broken outside its
 * records is an error.
 */
export async function* readXmlRecords(
  path: string,
  progress?: DumpProgress,
): AsyncGenerator<{ kind: DumpKind; node: XmlNode }> {
  const text = dumpText(path, progress);
  const parser = recordParser(progress);
  try {
    for await (const chunk of text.chunks()) {
      parser.write(chunk);
      while (parser.ready.length > 0) yield { kind: parser.kind()!, node: parser.ready.shift()! };
    }
    parser.end();
    while (parser.ready.length > 0) yield { kind: parser.kind()!, node: parser.ready.shift()! };
  } catch (err) {
    text.stream.destroy();
    throw readError(path, err);
  }
}

/** A run of whole records of a dump, as UTF-8 (see readRecordChunks). */
export interface RecordChunk {
  kind: DumpKind;
  bytes: Buffer;
  /** Bytes of the file read when the run was cut. */
  bytesRead: number;
}

/**
 * Reads a dump file as runs of whole records, for parsing on several threads (parseRecordChunk): the
 * bytes inside the root element, cut after a record's closing tag once a run reaches `chunkBytes`. A
 * run is bytes, not text, so that it moves to another thread without a copy, and is cut on a byte ('>')
 * that no multi-byte UTF-8 character holds. Memory stays bounded as readXmlRecords': a record that goes
 * on past RUN_ALERT_BYTES has its text runs cut (createByteGuard) before the parsing thread cuts them at
 * MAX_TEXT characters. A root that is not a dump's, or a file that ends inside its root, is an error, as
 * for readXmlRecords.
 */
export async function* readRecordChunks(
  path: string,
  progress: DumpProgress,
  chunkBytes = 96 * 1024,
): AsyncGenerator<RecordChunk> {
  const stream = dumpBytes(path, progress, { read: 256 * 1024, gunzip: 64 * 1024 });
  let kind: DumpKind | undefined;
  let close = Buffer.alloc(0);
  let head: Buffer | null = Buffer.alloc(0);
  const run = new Run();
  let guard: ((piece: Buffer) => Buffer) | null = null;
  try {
    for await (const data of stream) {
      let piece = data as Buffer;
      if (head) {
        // The root's opening tag, past the prolog (<?xml ...?>) and any comment or doctype; read as
        // latin1, one character a byte, so the match's index is a byte offset.
        head = Buffer.concat([head, piece]);
        const root = /<(?![?!])([^\s>/]+)[^>]*>/.exec(
          head.toString("latin1", 0, Math.min(head.length, 1 << 16)),
        );
        if (!root) {
          if (head.length > 1 << 16) throw new Error("no root element in the first 64 KiB");
          continue;
        }
        if (!(root[1]! in DUMP_KINDS)) throw rootError(root[1]!);
        kind = root[1] as DumpKind;
        close = Buffer.from(`</${DUMP_KINDS[kind]}>`);
        piece = head.subarray(root.index + root[0].length);
        head = null;
      }
      if (guard) piece = guard(piece);
      run.push(piece, close);
      if (run.size >= chunkBytes && run.lastEnd > 0) {
        yield { kind: kind!, bytes: run.take(run.lastEnd), bytesRead: progress.bytesRead };
        guard = null;
      } else if (!guard && run.size - Math.max(0, run.lastEnd) > RUN_ALERT_BYTES)
        guard = createByteGuard(run.tail());
    }
    if (!kind) throw new Error("no root element");
    const all = run.take(run.size);
    const end = all.lastIndexOf(`</${kind}>`);
    if (end < 0) throw new Error(`the file ends inside its <${kind}> element`);
    yield { kind, bytes: all.subarray(0, end), bytesRead: progress.bytesRead };
  } catch (err) {
    stream.destroy();
    throw readError(path, err);
  }
}

/** Bytes of one record past which readRecordChunks cuts its text runs (no real record comes near). */
const RUN_ALERT_BYTES = 1 << 20;
/**
 * The longest text run a cut record keeps, in bytes: MAX_TEXT characters of four bytes and more, so that
 * the parsing thread's guard still sees, cuts and counts it.
 */
const MAX_TEXT_BYTES = MAX_TEXT * 5;

/** The bytes of a run of records being gathered, and where its last record's closing tag ends. */
class Run {
  pieces: Buffer[] = [];
  size = 0;
  /** Offset just past the last closing tag seen; -1 for none. */
  lastEnd = -1;

  /** Adds a piece, finding the last closing tag in it (or across its start). */
  push(piece: Buffer, close: Buffer): void {
    const at = this.size;
    const found = piece.lastIndexOf(close);
    if (found >= 0) this.lastEnd = at + found + close.length;
    else if (this.pieces.length > 0) {
      const before = this.tailBytes(close.length - 1);
      const w = Buffer.concat([before, piece.subarray(0, close.length - 1)]).lastIndexOf(close);
      if (w >= 0) this.lastEnd = at - before.length + w + close.length;
    }
    this.pieces.push(piece);
    this.size += piece.length;
  }

  /** The first n bytes, in memory of their own; the rest stays. */
  take(n: number): Buffer {
    const all = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.size);
    const out = own(all.subarray(0, n));
    const rest = all.subarray(n);
    this.pieces = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    this.lastEnd = -1;
    return out;
  }

  /** The last n bytes gathered (fewer when there are fewer). */
  tailBytes(n: number): Buffer {
    const last = this.pieces.at(-1) ?? Buffer.alloc(0);
    if (last.length >= n || this.pieces.length === 1) return last.subarray(Math.max(0, last.length - n));
    return Buffer.concat(this.pieces).subarray(Math.max(0, this.size - n));
  }

  /** Whether the run ends inside a tag, and the length of the text run it ends in. */
  tail(): { inTag: boolean; text: number } {
    const all = this.tailBytes(RUN_ALERT_BYTES);
    const lt = all.lastIndexOf(0x3c);
    const gt = all.lastIndexOf(0x3e);
    return lt > gt ? { inTag: true, text: 0 } : { inTag: false, text: all.length - gt - 1 };
  }
}

/**
 * createTextGuard's cut, on bytes: every text run past MAX_TEXT_BYTES is cut there (at a character and
 * an entity boundary), for a record that runs on past RUN_ALERT_BYTES. It starts where the record has
 * got to: inside a tag, or this far into a text run.
 */
function createByteGuard(start: { inTag: boolean; text: number }): (piece: Buffer) => Buffer {
  let inTag = start.inTag;
  let run = start.text;
  return (piece) => {
    const out: Buffer[] = [];
    let i = 0;
    while (i < piece.length) {
      if (inTag) {
        const end = piece.indexOf(0x3e, i);
        if (end < 0) {
          out.push(piece.subarray(i));
          break;
        }
        out.push(piece.subarray(i, end + 1));
        i = end + 1;
        inTag = false;
        run = 0;
        continue;
      }
      const open = piece.indexOf(0x3c, i);
      const stop = open < 0 ? piece.length : open;
      const room = MAX_TEXT_BYTES - run;
      if (room > 0) {
        let keep = Math.min(stop - i, room);
        if (keep < stop - i) {
          // Not inside a character (a continuation byte is 10xxxxxx), nor half an entity ("&am").
          while (keep > 0 && (piece[i + keep]! & 0xc0) === 0x80) keep--;
          const kept = piece.subarray(i, i + keep);
          const amp = kept.lastIndexOf(0x26);
          if (amp >= 0 && kept.indexOf(0x3b, amp) < 0) keep = amp;
        }
        out.push(piece.subarray(i, i + keep));
        run += stop - i;
      }
      if (open < 0) break;
      i = open;
      inTag = true;
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  };
}

/**
 * A copy in memory of its own (never Buffer's shared pool), so that moving it to a parsing thread moves
 * the run and nothing else.
 */
function own(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

/**
 * The records of one run of a dump (readRecordChunks), guarded (createTextGuard) and parsed as
 * readXmlRecords parses a file: a broken record is skipped, counted and named in `progress`.
 */
export function parseRecordChunk(kind: DumpKind, bytes: Uint8Array, progress?: DumpProgress): XmlNode[] {
  const parser = recordParser(progress);
  const guard = createTextGuard(progress);
  // Decoded piece by piece (a character cut between two pieces waits for the next): V8 keeps a string
  // past 128 KiB apart from the others, and making one costs ten times its copy (270 µs for a run of
  // 128 KiB, against 20 for its pieces), twice over once the guard has rebuilt it.
  const decoder = new StringDecoder("utf8");
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  parser.write(`<${kind}>`);
  for (let at = 0; at < all.length; at += DECODE_BYTES)
    parser.write(guard(decoder.write(all.subarray(at, at + DECODE_BYTES))));
  parser.write(guard(decoder.end()));
  parser.write(`</${kind}>`);
  parser.end();
  return parser.ready;
}

/** The pieces a run of records is decoded in (parseRecordChunk). */
const DECODE_BYTES = 16 * 1024;

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
