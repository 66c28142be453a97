/**
 * Reading a file that someone else controls, with a bound: the root side reading what the
 * unprivileged router wrote (src/gateway/firewall), the router reading root's reports, a reseed
 * file named on the command line. The size is checked before reading and again while reading (the
 * file may grow meanwhile); anything but a regular file is refused (a FIFO would block: O_NONBLOCK);
 * with `noFollow` a symbolic link is refused too (O_NOFOLLOW), so a writer of the directory cannot
 * make a privileged reader open another file. Each caller turns BoundedFileError into its own error.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export type BoundedFileProblem = 'symlink' | 'not-regular' | 'too-large' | 'unreadable';

export class BoundedFileError extends Error {
  constructor(
    readonly problem: BoundedFileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'BoundedFileError';
  }
}

/** The file's bytes, at most `maxBytes`; undefined when it does not exist. Throws BoundedFileError. */
export async function readBoundedFile(path: string, maxBytes: number, opts: { noFollow?: boolean } = {}): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' && opts.noFollow) throw new BoundedFileError('symlink', `${path} is a symbolic link: refused`);
    throw new BoundedFileError('unreadable', `cannot open ${path}: ${code ?? (e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new BoundedFileError('not-regular', `${path} is not a regular file: refused`);
    if (st.size > maxBytes) throw new BoundedFileError('too-large', `${path} is larger than ${maxBytes} bytes (${st.size}): refused`);
    const buf = Buffer.alloc(maxBytes + 1);
    let len = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len > maxBytes) throw new BoundedFileError('too-large', `${path} is larger than ${maxBytes} bytes: refused`);
    }
    return buf.subarray(0, len);
  } finally {
    await fh.close();
  }
}
