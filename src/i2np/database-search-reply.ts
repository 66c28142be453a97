import { ByteReader, ByteWriter } from '../util/bytes.js';

/** i2np.rst DatabaseSearchReply: key, num (1 byte), num peer hashes, from. */
export interface DatabaseSearchReply {
  key: Buffer;
  peers: Buffer[];
  /** Unauthenticated: the spec warns it cannot be trusted. */
  from: Buffer;
}

export function encodeDatabaseSearchReply(m: DatabaseSearchReply): Buffer {
  if (m.key.length !== 32 || m.from.length !== 32 || m.peers.some((p) => p.length !== 32)) throw new RangeError('hashes must be 32 bytes');
  if (m.peers.length > 255) throw new RangeError('at most 255 peer hashes');
  const w = new ByteWriter();
  w.bytes(m.key).u8(m.peers.length);
  for (const p of m.peers) w.bytes(p);
  return w.bytes(m.from).toBuffer();
}

export function decodeDatabaseSearchReply(payload: Buffer): DatabaseSearchReply {
  const r = new ByteReader(payload);
  const key = r.bytes(32, 'DatabaseSearchReply key');
  const num = r.u8('DatabaseSearchReply num');
  const peers: Buffer[] = [];
  for (let i = 0; i < num; i++) peers.push(r.bytes(32, 'DatabaseSearchReply peer'));
  const from = r.bytes(32, 'DatabaseSearchReply from');
  r.expectEnd('DatabaseSearchReply');
  return { key, peers, from };
}
