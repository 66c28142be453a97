// Test helper: builds a zip in memory with yazl (a reseed zip of routerInfo-*.dat files, say).
import yazl from 'yazl';
import { i2pBase64Encode } from '../../src/data/base64.js';
import { RouterInfo } from '../../src/data/router-info.js';

export function zipOf(entries: Array<[string, Buffer]>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of entries) z.addBuffer(data, name);
  z.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

/** A reseed zip as i2pd and reseed servers lay it out: `routerInfo-<base64 hash>.dat` entries. */
export function reseedZipOf(routerInfos: Buffer[]): Promise<Buffer> {
  return zipOf(routerInfos.map((raw) => [`routerInfo-${i2pBase64Encode(RouterInfo.parse(raw).hash)}.dat`, raw]));
}
