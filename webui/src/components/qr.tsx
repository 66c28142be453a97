/**
 * A QR code drawn as SVG from the `uqr` encoder's module matrix: one path of dark squares on a
 * white square with a quiet zone, so a phone can scan it in dark mode too. No inline style, no
 * innerHTML (the page's CSP forbids inline styles; SVG presentation attributes are not styles).
 */
import { encode } from 'uqr';

/** The `d` of a path with one 1×1 square per dark module. */
export function qrPath(data: boolean[][]): string {
  let d = '';
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return d;
}

export function QrCode({ text, label }: { text: string; label: string }) {
  // Medium error correction: a printed or photographed code still reads with some damage.
  const qr = encode(text, { ecc: 'M', border: 4 });
  return (
    <svg class="qr" viewBox={`0 0 ${qr.size} ${qr.size}`} role="img" aria-label={label} shape-rendering="crispEdges" data-modules={qr.size}>
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={qrPath(qr.data)} fill="#000" />
    </svg>
  );
}
