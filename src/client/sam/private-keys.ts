/**
 * The private keys of a persistent destination as SAM hands them out (DEST GENERATE's PRIV) and takes
 * them back (SESSION CREATE DESTINATION=...): the I2P base64 of a PrivateKeyFile (api-samv3
 * "Destination Key Generation"; common-structures "Destination", "PrivateKey", "SigningPrivateKey"):
 *
 *   Destination (387+ bytes) | PrivateKey (length by the certificate's crypto type)
 *                            | SigningPrivateKey (length by its signature type)
 *
 * A hidden service keeps these keys in the datadir and gives them back on every start, so its
 * .b32.i2p address stays the same. They come from the bridge and from a file: parsed as hostile
 * input, every length checked. Offline-signed keys (an all-zero signing key followed by the offline
 * section) are refused: DEST GENERATE cannot make them and we never do.
 */
import { Destination } from '../../data/destination.js';
import { i2pBase64Decode, i2pBase64Encode } from '../../data/base64.js';
import { ByteReader } from '../../util/bytes.js';
import { DataFormatError } from '../../util/errors.js';

/** Private key lengths by crypto type (common-structures "PrivateKey"). */
const PRIVATE_KEY_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0, 256], // ElGamal: unused since 0.6 but present (random or zeros, proposal 161)
  [1, 32],
  [2, 48],
  [3, 66],
  [4, 32], // ECIES-X25519
]);

/** Signing private key lengths by signature type (common-structures "SigningPrivateKey"). */
const SIGNING_PRIVATE_KEY_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0, 20], // DSA_SHA1
  [1, 32],
  [2, 48],
  [3, 66],
  [7, 32], // EdDSA_SHA512_Ed25519
  [11, 32], // RedDSA_SHA512_Ed25519
]);

/** A Destination is 387 bytes plus a short certificate; a key file a few hundred bytes more. */
export const MAX_PRIVATE_KEYS_BASE64 = 2048;

export interface PrivateKeys {
  /** I2P base64 of the Destination at the start of the file. */
  readonly destination: string;
  /** `<52 chars>.b32.i2p`: base32 of SHA-256 of the Destination's bytes (naming.html "Base32 Names"). */
  readonly b32: string;
  readonly sigType: number;
}

/** Parses the I2P base64 of a PrivateKeyFile; throws DataFormatError when it is not exactly one. */
export function parsePrivateKeys(base64: string): PrivateKeys {
  if (base64.length === 0 || base64.length > MAX_PRIVATE_KEYS_BASE64) throw new DataFormatError(`private keys: ${base64.length} base64 characters`);
  if (!/^[A-Za-z0-9~-]+={0,2}$/.test(base64)) throw new DataFormatError('private keys: not I2P base64');
  const bytes = i2pBase64Decode(base64);
  const r = new ByteReader(bytes);
  const destination = Destination.read(r);
  const privLen = PRIVATE_KEY_LENGTHS.get(destination.cryptoType);
  if (privLen === undefined) throw new DataFormatError(`private keys: unsupported crypto type ${destination.cryptoType}`);
  const sigLen = SIGNING_PRIVATE_KEY_LENGTHS.get(destination.sigType);
  if (sigLen === undefined) throw new DataFormatError(`private keys: unsupported signature type ${destination.sigType}`);
  r.bytes(privLen, 'private key');
  const signing = r.bytes(sigLen, 'signing private key');
  if (signing.every((b) => b === 0)) throw new DataFormatError('private keys: offline-signed keys are not supported');
  r.expectEnd('private keys');
  return { destination: i2pBase64Encode(destination.raw), b32: destination.b32Address(), sigType: destination.sigType };
}
