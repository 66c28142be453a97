/**
 * TEST HELPER for `npm run test:image`: boots the appliance's arm64 image under
 * qemu-system-aarch64 -M virt (the Pi's GPU boot stage cannot be emulated, so the image's own kernel
 * and initrd are taken from its boot partition and booted directly with its own cmdline.txt, the
 * console moved to the virt machine's UART). The disk is a private copy of the image, enlarged so
 * that first boot has something to grow into.
 *
 * Networking is qemu's user mode with `restrict=on`: the guest reaches nothing outside qemu (no
 * traffic from the box leaves this machine); only the forwarded ports on 127.0.0.1 reach the guest,
 * arriving on its LAN interface as from a LAN client.
 *
 * Commands run in a root shell on a second console (virtio hvc0) that systemd's debug shell
 * (`systemd.debug_shell=hvc0` on the test's kernel command line) provides — the equivalent of
 * sitting at the box; the image itself is not changed for the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Socket } from 'node:net';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface VmOptions {
  /** Work folder (the disk copy, the console log, the sockets). */
  dir: string;
  /** The raw disk image (will be written to). */
  disk: string;
  kernel: string;
  initrd: string;
  /** Kernel command line. */
  append: string;
  /** Guest LAN: the network qemu pretends to be, and the box's address on it. */
  lanNet: string;
  lanHost: string;
  boxAddress: string;
  /** guest TCP/UDP port → host port on 127.0.0.1. */
  forwards: Array<{ proto: 'tcp' | 'udp'; hostPort: number; guestPort: number }>;
  memoryMiB?: number;
  /** File name of the console log in `dir` (default console.log). */
  consoleName?: string;
}

/** A free TCP (or UDP) port on 127.0.0.1 at the time of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class QemuVm {
  readonly consoleLog: string;
  readonly startedAt = Date.now();
  private readonly proc: ChildProcess;
  private shell: Socket | undefined;
  private shellBuffer = '';
  private seq = 0;
  exited = false;

  constructor(readonly opts: VmOptions) {
    this.consoleLog = join(opts.dir, opts.consoleName ?? 'console.log');
    writeFileSync(this.consoleLog, '');
    const hvcSocket = join(opts.dir, 'hvc0.sock');
    rmSync(hvcSocket, { force: true }); // a previous machine's
    const fwd = opts.forwards.map((f) => `hostfwd=${f.proto}:127.0.0.1:${f.hostPort}-${opts.boxAddress}:${f.guestPort}`).join(',');
    const args = [
      '-n',
      '19',
      'qemu-system-aarch64',
      '-M',
      'virt',
      // The Pi 4's core. (-cpu max once killed node with SIGILL under multi-threaded TCG.)
      '-cpu',
      'cortex-a72',
      '-smp',
      '2',
      '-accel',
      'tcg,thread=multi',
      '-m',
      String(opts.memoryMiB ?? 1024),
      '-display',
      'none',
      '-monitor',
      'none',
      '-no-reboot',
      '-kernel',
      opts.kernel,
      '-initrd',
      opts.initrd,
      '-append',
      opts.append,
      '-drive',
      `file=${opts.disk},format=raw,if=none,id=disk0,cache=unsafe`,
      '-device',
      'virtio-blk-pci,drive=disk0',
      '-netdev',
      `user,id=lan0,restrict=on,net=${opts.lanNet},host=${opts.lanHost},${fwd}`,
      '-device',
      // No option ROM: the kernel is booted directly (and Debian's qemu keeps the ROMs in ipxe-qemu).
      'virtio-net-pci,netdev=lan0,romfile=',
      '-chardev',
      `file,id=uart0,path=${this.consoleLog}`,
      '-serial',
      'chardev:uart0',
      '-device',
      'virtio-serial-pci',
      '-chardev',
      `socket,id=hvc0,path=${hvcSocket},server=on,wait=off`,
      '-device',
      'virtconsole,chardev=hvc0',
    ];
    this.proc = spawn('nice', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => process.stderr.write(`qemu: ${d}`));
    this.proc.once('exit', () => (this.exited = true));
    this.hvcSocket = hvcSocket;
  }

  private readonly hvcSocket: string;

  console(): string {
    return readFileSync(this.consoleLog, 'utf8');
  }

  /** Waits until the console log matches `re`; returns the milliseconds since qemu started. */
  async waitForConsole(re: RegExp, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let offset = 0;
    let text = '';
    const fd = openSync(this.consoleLog, 'r');
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n > 0) {
          offset += n;
          text = (text + buf.subarray(0, n).toString('utf8')).slice(-200_000);
          if (re.test(text)) return Date.now() - this.startedAt;
          continue;
        }
        if (this.exited) throw new Error(`qemu exited before the console showed ${re}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} on the console`);
        await sleep(250);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Connects to the debug shell on hvc0 and makes it quiet (no echo, no prompt). */
  async openShell(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.hvcSocket)) {
      if (Date.now() > deadline || this.exited) throw new Error('qemu made no hvc0 socket');
      await sleep(200);
    }
    for (;;) {
      try {
        this.shell = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(this.hvcSocket, () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (e) {
        if (Date.now() > deadline || this.exited) throw new Error(`cannot connect to hvc0: ${(e as Error).message}`);
        await sleep(500);
      }
    }
    this.shell.setEncoding('utf8');
    this.shell.on('data', (d: string) => {
      this.shellBuffer = (this.shellBuffer + d).slice(-1_000_000);
    });
    // The shell appears once systemd has started debug-shell.service; until then, keep poking.
    for (;;) {
      try {
        await this.run('stty -echo -onlcr 2>/dev/null; PS1=; PS2=; export PS1 PS2 SYSTEMD_PAGER= SYSTEMD_COLORS=0 TERM=dumb; true', 5_000);
        return;
      } catch (e) {
        if (Date.now() > deadline || this.exited) throw new Error(`no debug shell on hvc0: ${(e as Error).message}`);
      }
    }
  }

  /** Runs `command` in the guest's root shell; resolves with its output and exit status. */
  async run(command: string, timeoutMs = 60_000): Promise<{ status: number; out: string }> {
    if (!this.shell) throw new Error('shell not open');
    const n = ++this.seq;
    const begin = `__GG_BEGIN_${n}__`;
    const end = `__GG_END_${n}__`;
    this.shellBuffer = '';
    // Markers are printed with an arithmetic expansion so that the typed command line (if echoed)
    // cannot match them.
    this.shell.write(`echo __GG_BEGIN_$((${n}))__; ( ${command} ) 2>&1; echo __GG_END_$((${n}))__ $?\n`);
    const deadline = Date.now() + timeoutMs;
    const re = new RegExp(`${begin}\\r?\\n([\\s\\S]*?)${end} (\\d+)`);
    for (;;) {
      const m = re.exec(this.shellBuffer);
      // Terminal control sequences (erase-line and the like) are not output.
      if (m) return { status: Number(m[2]), out: m[1]!.replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
      if (this.exited) throw new Error('qemu exited');
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${command}`);
      await sleep(100);
    }
  }

  /** Powers the guest off; kills qemu if it has not stopped after `timeoutMs`. */
  async stop(timeoutMs = 120_000): Promise<void> {
    if (this.exited) return;
    try {
      this.shell?.write('systemctl poweroff\n');
    } catch {
      // the shell may be gone already
    }
    const deadline = Date.now() + timeoutMs;
    while (!this.exited && Date.now() < deadline) await sleep(250);
    if (!this.exited) {
      this.proc.kill('SIGKILL');
      while (!this.exited) await sleep(50);
    }
    this.shell?.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a host command; throws with its stderr on failure. */
export function sh(cmd: string, args: string[], timeoutMs = 600_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status} ${r.error?.message ?? ''}\n${r.stderr}`);
  return r.stdout;
}
