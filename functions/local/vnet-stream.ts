/**
 * Azure VNet flow-log documents (PT1H.json, flowLogVersion 4) read from a text that comes in chunks
 * cut anywhere, for `lure simulate --format azure-vnet`. The input is one document or several one
 * after another (`cat` of hourly blobs; whitespace between them).
 *
 * Streaming: a small scanner follows the JSON structure (depth, strings, escapes) across chunks and
 * cuts out each element of a document's `records` array; only that element's text is held and then
 * parsed by `parseVnetFlowRecord` (one record is one minute of one NIC: bounded by Azure, not by the
 * hour). A whole document is never held.
 *
 * Nothing throws on bad input; it is counted in the stats, as `malformed`:
 * - text outside a document that is not whitespace (once per run of such text);
 * - a document with no `records` array, and a document or record cut short by the end of the input;
 * - a record that is not valid JSON or not a version-4 record (`parseVnetFlowRecord` decides).
 *
 * Record numbers: `stats.lines` counts tuples, so the number passed with each record is the 1-based
 * index of its tuple across the whole input.
 */
import { parseVnetFlowRecord } from "../core/vnet-flow";
import type { FlowRecord, ParseStats } from "../core/quarantine-types";

const SPACE = /\s/;

/** Feed chunks with {@link VnetStream.push}, then call {@link VnetStream.end}. */
export class VnetStream {
  /** 0: between documents; 1: in a document's object; 2: in an array or object one level deeper... */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The last string that closed at depth 1: the key of the value that follows. */
  private key = "";
  private keyText = "";
  /** Inside the current document's `records` array (at depth 2). */
  private inRecords = false;
  private sawRecords = false;
  /** Text of the record being cut out (undefined when none). */
  private record: string[] | undefined;
  private recordStart = 0;
  /** A primitive record element or junk between documents was already counted. */
  private counted = false;

  constructor(
    private readonly onRecord: (r: FlowRecord, tuple: number) => void,
    private readonly stats: ParseStats,
  ) {}

  /** Documents seen (opened) so far. */
  documents = 0;

  push(chunk: string): void {
    const n = chunk.length;
    this.recordStart = 0;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.depth === 1 && this.record === undefined) this.key = this.keyText;
        } else if (this.depth === 1) this.keyText += chunk[i];
        continue;
      }
      if (c === 0x22) {
        this.inString = true;
        if (this.depth === 1) this.keyText = "";
        if (this.depth === 2 && this.inRecords && this.record === undefined) this.primitive();
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        if (this.depth === 0) {
          if (c === 0x5b) {
            this.junk();
            continue;
          }
          this.documents++;
          this.counted = false;
          this.sawRecords = false;
          this.key = "";
        } else if (this.depth === 1 && c === 0x5b && this.key === "records") {
          this.inRecords = true;
          this.sawRecords = true;
        } else if (this.depth === 2 && this.inRecords && c === 0x7b) {
          this.record = [];
          this.recordStart = i;
        }
        this.depth++;
        continue;
      }
      if (c === 0x7d || c === 0x5d) {
        if (this.depth === 0) {
          this.junk();
          continue;
        }
        this.depth--;
        if (this.depth === 2 && this.record !== undefined) {
          this.record.push(chunk.slice(this.recordStart, i + 1));
          this.parseRecord(this.record.join(""));
          this.record = undefined;
        } else if (this.depth === 1 && this.inRecords) this.inRecords = false;
        else if (this.depth === 0 && !this.sawRecords) this.stats.malformed++;
        continue;
      }
      if (this.depth === 0) {
        if (!SPACE.test(chunk[i])) this.junk();
        else this.counted = false;
      } else if (this.depth === 2 && this.inRecords && this.record === undefined) {
        if (c === 0x2c) this.counted = false;
        else if (!SPACE.test(chunk[i])) this.primitive();
      }
    }
    if (this.record !== undefined) this.record.push(chunk.slice(this.recordStart));
  }

  /** The input has ended: a document or record left open is counted as malformed. */
  end(): void {
    if (this.depth > 0) this.stats.malformed++;
    this.depth = 0;
    this.record = undefined;
  }

  private junk(): void {
    if (!this.counted) this.stats.malformed++;
    this.counted = true;
  }

  /** A records element that is not an object (a string, number, literal): counted once. */
  private primitive(): void {
    if (!this.counted) this.stats.malformed++;
    this.counted = true;
  }

  private parseRecord(text: string): void {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      this.stats.malformed++;
      return;
    }
    parseVnetFlowRecord(record, (r) => this.onRecord(r, this.stats.lines), this.stats);
  }
}
