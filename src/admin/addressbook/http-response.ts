/**
 * An HTTP/1.x response read from an I2P stream, for fetching address book subscriptions (Java I2P's
 * and i2pd's subscription servers answer `GET /hosts.txt`). Sans-IO: bytes in, a response out. The
 * site is untrusted: the head is bounded, the body is bounded, a framing it cannot read (chunked
 * coding — the request is HTTP/1.0, which must not get it — or a Content-Length it does not keep)
 * is an HttpResponseError.
 */
export class HttpResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpResponseError';
  }
}

export interface HttpResponse {
  status: number;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Map<string, string>;
  body: Buffer;
}

export const MAX_HEAD_BYTES = 16 * 1024;

export class HttpResponseReader {
  private head: Buffer[] = [];
  private headLen = 0;
  private parsed: { status: number; headers: Map<string, string>; contentLength?: number } | undefined;
  private body: Buffer[] = [];
  private bodyLen = 0;

  constructor(private readonly maxBody: number) {}

  /** Feeds bytes from the stream; throws HttpResponseError. True once a Content-Length body is complete. */
  push(chunk: Buffer): boolean {
    if (!this.parsed) {
      this.head.push(chunk);
      this.headLen += chunk.length;
      const all = Buffer.concat(this.head);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (all.length > MAX_HEAD_BYTES) throw new HttpResponseError(`the response head is larger than ${MAX_HEAD_BYTES} bytes`);
        this.head = [all];
        return false;
      }
      if (end > MAX_HEAD_BYTES) throw new HttpResponseError(`the response head is larger than ${MAX_HEAD_BYTES} bytes`);
      this.parsed = parseHead(all.subarray(0, end).toString('latin1'));
      if ((this.parsed.contentLength ?? 0) > this.maxBody) throw new HttpResponseError(`the body (${this.parsed.contentLength} bytes) is larger than ${this.maxBody} bytes`);
      this.head = [];
      chunk = all.subarray(end + 4);
    }
    if (chunk.length > 0) {
      this.bodyLen += chunk.length;
      if (this.bodyLen > this.maxBody) throw new HttpResponseError(`the body is larger than ${this.maxBody} bytes`);
      const cl = this.parsed.contentLength;
      if (cl !== undefined && this.bodyLen > cl) throw new HttpResponseError(`more body than its Content-Length ${cl}`);
      this.body.push(chunk);
    }
    return this.parsed.contentLength !== undefined && this.bodyLen === this.parsed.contentLength;
  }

  /** The stream ended: the response, or HttpResponseError if it is incomplete. */
  end(): HttpResponse {
    if (!this.parsed) throw new HttpResponseError(this.headLen === 0 ? 'the site closed the stream without answering' : 'the stream ended inside the response head');
    const cl = this.parsed.contentLength;
    if (cl !== undefined && this.bodyLen !== cl) throw new HttpResponseError(`the stream ended after ${this.bodyLen} of ${cl} body bytes`);
    return { status: this.parsed.status, headers: this.parsed.headers, body: Buffer.concat(this.body) };
  }
}

function parseHead(text: string): { status: number; headers: Map<string, string>; contentLength?: number } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!m) throw new HttpResponseError('not an HTTP/1.x status line');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(line.slice(0, colon))) throw new HttpResponseError('a malformed header line');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const te = headers.get('transfer-encoding');
  if (te !== undefined && te.toLowerCase() !== 'identity') throw new HttpResponseError(`Transfer-Encoding ${te.slice(0, 40)} is not read (the request was HTTP/1.0)`);
  const clText = headers.get('content-length');
  let contentLength: number | undefined;
  if (clText !== undefined) {
    if (!/^\d{1,12}$/.test(clText)) throw new HttpResponseError('a malformed Content-Length');
    contentLength = Number(clText);
  }
  return { status: Number(m[1]), headers, ...(contentLength !== undefined ? { contentLength } : {}) };
}
