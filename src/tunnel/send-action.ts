/**
 * What the tunnel data path asks its shell to do: send an I2NP message to a router (over a
 * transport, or to ourselves when the hash is our own). The pure cores only return these.
 */
import { I2NPType, type I2NPMessage } from '../i2np/message.js';
import { randomMsgId, type RandomSource } from './random-pool.js';

export interface SendAction {
  /** The receiving router's identity hash (32 bytes). */
  sendTo: Buffer;
  message: I2NPMessage;
}

/**
 * I2NP messages a tunnel hop creates expire this long after creation: i2pd's default I2NP
 * expiration (8 s) — long enough for a hop's queues, short enough to bound replays.
 */
export const TUNNEL_MESSAGE_LIFETIME_MS = 8_000;

/** A TunnelData message (i2np.rst type 18) carrying a whole 1028-byte tunnel message. */
export function tunnelDataAction(sendTo: Buffer, tunnelMessage: Buffer, expiration: number, random: RandomSource): SendAction {
  return { sendTo, message: { type: I2NPType.TunnelData, msgId: randomMsgId(random), expiration, payload: tunnelMessage } };
}
