// Minimal DNS message codec (RFC 1035 §4): enough to ask for NS records and read referrals.
// Pure: no I/O. Decoding never reads outside the buffer and never loops on compression pointers; any
// malformed input throws DnsFormatError, which callers treat as a garbage answer.

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_SOA = 6;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

export class DnsFormatError extends Error {
  override name = 'DnsFormatError';
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Raw RDATA. */
  data: Buffer;
  /** Decoded target for NS records (compression resolved against the whole message). */
  target?: string;
}

export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const bytes = Buffer.from(label, 'ascii');
      if (bytes.length === 0 || bytes.length > 63) throw new DnsFormatError(`bad label in ${name}`);
      parts.push(Buffer.from([bytes.length]), bytes);
    }
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function encodeRecord(r: DnsRecord): Buffer {
  const data = r.type === TYPE_NS && r.target !== undefined ? encodeName(r.target) : r.data;
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(r.class, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([encodeName(r.name), fixed, data]);
}

/** Encodes a full message without name compression (valid on the wire; decoders must accept it). */
export function encodeMessage(m: Partial<DnsMessage> & { id: number }): Buffer {
  const header = Buffer.alloc(12);
  const questions = m.questions ?? [];
  const answers = m.answers ?? [];
  const authorities = m.authorities ?? [];
  const additionals = m.additionals ?? [];
  header.writeUInt16BE(m.id & 0xffff, 0);
  const flags =
    (m.qr ? 0x8000 : 0) |
    (((m.opcode ?? 0) & 0xf) << 11) |
    (m.aa ? 0x0400 : 0) |
    (m.tc ? 0x0200 : 0) |
    (m.rd ? 0x0100 : 0) |
    (m.ra ? 0x0080 : 0) |
    ((m.rcode ?? 0) & 0xf);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authorities.length, 8);
  header.writeUInt16BE(additionals.length, 10);
  const body: Buffer[] = [header];
  for (const q of questions) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(q.type, 0);
    tail.writeUInt16BE(q.class, 2);
    body.push(encodeName(q.name), tail);
  }
  for (const r of [...answers, ...authorities, ...additionals]) body.push(encodeRecord(r));
  return Buffer.concat(body);
}

/** A non-recursive (RD=0) query for one name: we ask the TLD's own servers, never a resolver. */
export function encodeQuery(id: number, name: string, type = TYPE_NS): Buffer {
  return encodeMessage({ id, rd: false, questions: [{ name, type, class: CLASS_IN }] });
}

/** Reads a possibly compressed name at `offset`; returns the name and the offset after it in place. */
function readName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) throw new DnsFormatError('name runs past end');
    const len = buf[pos] ?? 0;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('truncated pointer');
      // A message of n bytes can hold at most n/2 distinct pointers; more jumps means a loop.
      if (++jumps > 127) throw new DnsFormatError('compression loop');
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError('reserved label type');
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) throw new DnsFormatError('label runs past end');
    length += len + 1;
    if (length > 255) throw new DnsFormatError('name too long');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len).toLowerCase());
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function readRecords(buf: Buffer, offset: number, count: number): { records: DnsRecord[]; next: number } {
  const records: DnsRecord[] = [];
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const { name, next } = readName(buf, pos);
    if (next + 10 > buf.length) throw new DnsFormatError('record header past end');
    const type = buf.readUInt16BE(next);
    const klass = buf.readUInt16BE(next + 2);
    const ttl = buf.readUInt32BE(next + 4);
    const rdlen = buf.readUInt16BE(next + 8);
    const start = next + 10;
    if (start + rdlen > buf.length) throw new DnsFormatError('rdata past end');
    const rec: DnsRecord = { name, type, class: klass, ttl, data: buf.subarray(start, start + rdlen) };
    if (type === TYPE_NS) {
      const t = readName(buf, start);
      if (t.next > start + rdlen) throw new DnsFormatError('NS target past rdata');
      rec.target = t.name;
    }
    records.push(rec);
    pos = start + rdlen;
  }
  return { records, next: pos };
}

export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsFormatError('short header');
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, next } = readName(buf, pos);
    if (next + 4 > buf.length) throw new DnsFormatError('question past end');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const an = readRecords(buf, pos, buf.readUInt16BE(6));
  const ns = readRecords(buf, an.next, buf.readUInt16BE(8));
  const ar = readRecords(buf, ns.next, buf.readUInt16BE(10));
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: an.records,
    authorities: ns.records,
    additionals: ar.records,
  };
}
