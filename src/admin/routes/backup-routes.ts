/**
 * Backup and restore (issue 6, item 4): an encrypted archive of the keys, config and address book
 * (format: ../backup/archive.ts), listed before a restore, restored only when every file checks out.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/credentials.js';
import { BackupError, MAX_ARCHIVE_BYTES } from '../backup/archive.js';
import type { BackupListing } from '../backup/backup-service.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, arr, bool, errorSchema, int, obj, oneOfStr, route, str, type RouteSpec } from './spec.js';

const passphrase = str(`the archive’s passphrase, ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters`, { minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });
/** base64 of an archive of at most MAX_ARCHIVE_BYTES. */
const ARCHIVE_B64_MAX = Math.ceil(MAX_ARCHIVE_BYTES / 3) * 4;
const archiveBody = obj({ archive: str('the archive file, base64', { minLength: 1, maxLength: ARCHIVE_B64_MAX, pattern: '^[A-Za-z0-9+/]*={0,2}$' }), passphrase });

const listingSchema = obj(
  {
    createdAt: str('ISO 8601'),
    software: str('GarlicGate version that made it'),
    files: arr(obj({ name: str(), size: int('bytes'), sha256: str('hex'), description: str() })),
  },
  { description: 'what the archive holds' },
);

const backupError = errorSchema('the archive is refused; nothing was changed', {
  reason: oneOfStr(['not-a-backup', 'unsupported-version', 'wrong-passphrase', 'damaged', 'invalid-content'], 'damaged: altered or corrupted (authentication failed); invalid-content: a file would not be accepted by the router'),
});

export const BACKUP_ROUTES = {
  create: {
    method: 'POST',
    url: `${API_PREFIX}/backup`,
    group: 'Backup',
    summary: 'Download an encrypted backup (keys, config, address book)',
    description:
      'Answers `application/octet-stream` with `Content-Disposition: attachment; filename="garlicgate-backup-<date>.ggbackup"`. Encrypted with AES-256-GCM under a key derived from the passphrase with scrypt (format in src/admin/backup/archive.ts). Not included: the netDb, the admin password, I2PControl’s certificate.',
    auth: 'session',
    produces: 'application/octet-stream',
    schema: {
      body: obj({ passphrase }),
      response: { 200: { type: 'string', description: 'the archive (binary)' }, 409: errorSchema('nothing to back up yet (the router never started)') },
    },
  },
  inspect: {
    method: 'POST',
    url: `${API_PREFIX}/backup/inspect`,
    group: 'Backup',
    summary: 'Check an archive and list what it holds (changes nothing)',
    auth: 'session',
    bodyLimit: ARCHIVE_B64_MAX + 4096,
    schema: { body: archiveBody, response: { 200: listingSchema, 400: backupError } },
  },
  restore: {
    method: 'POST',
    url: `${API_PREFIX}/backup/restore`,
    group: 'Backup',
    summary: 'Restore an archive; takes effect at the next start',
    description: 'Every file is checked before any is written; a failed write puts the earlier files back. The running router keeps its keys until it restarts (POST /api/v1/system/restart).',
    auth: 'session',
    bodyLimit: ARCHIVE_B64_MAX + 4096,
    schema: {
      body: archiveBody,
      response: {
        200: obj({ restored: arr(str(), 'files written'), listing: listingSchema, restartRequired: bool('always true') }),
        400: backupError,
        500: errorSchema('writing failed; the previous files were put back'),
      },
    },
  },
} satisfies Record<string, RouteSpec>;

function sendBackupError(reply: FastifyReply, e: unknown): FastifyReply {
  if (!(e instanceof BackupError)) throw e;
  return reply.code(400).send({ error: e.message, reason: e.code });
}

function decode(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

export function registerBackupRoutes(app: FastifyInstance, deps: AdminDeps): void {
  route(app, BACKUP_ROUTES.create, async (request, reply) => {
    let archive: Buffer;
    try {
      archive = await deps.backup.create((request.body as { passphrase: string }).passphrase);
    } catch (e) {
      if (e instanceof BackupError) return reply.code(409).send({ error: e.message });
      throw e;
    }
    const stamp = new Date(deps.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    deps.log.info({ bytes: archive.length }, 'backup downloaded');
    return reply
      .type('application/octet-stream')
      .header('content-disposition', `attachment; filename="garlicgate-backup-${stamp}.ggbackup"`)
      .header('cache-control', 'no-store')
      .send(archive);
  });

  route(app, BACKUP_ROUTES.inspect, async (request, reply) => {
    const b = request.body as { archive: string; passphrase: string };
    try {
      return await deps.backup.inspect(decode(b.archive), b.passphrase);
    } catch (e) {
      return sendBackupError(reply, e);
    }
  });

  route(app, BACKUP_ROUTES.restore, async (request, reply) => {
    const b = request.body as { archive: string; passphrase: string };
    let r: { listing: BackupListing; restored: string[] };
    try {
      r = await deps.backup.restore(decode(b.archive), b.passphrase);
    } catch (e) {
      if (e instanceof BackupError) return sendBackupError(reply, e);
      deps.log.error({ err: (e as Error).message }, 'restore failed');
      return reply.code(500).send({ error: (e as Error).message });
    }
    return { restored: r.restored, listing: r.listing, restartRequired: true };
  });
}
