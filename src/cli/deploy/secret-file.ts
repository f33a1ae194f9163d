/** The user the broker image runs as: the file must be readable by it alone. */
const IMAGE_USER = 10001;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/**
 * A tar archive of one file readable only by the image's user, for copying a secret into a
 * container before it starts: what the engine keeps of a container (its command, its environment)
 * never holds it, and the file goes when the container does.
 */
export function secretArchive(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write(octal(0o400, 8), 100);
  header.write(octal(IMAGE_USER, 8), 108);
  header.write(octal(IMAGE_USER, 8), 116);
  header.write(octal(body.length, 12), 124);
  header.write(octal(0, 12), 136);
  header.write(' '.repeat(8), 148);
  header.write('0', 156);
  header.write('ustar\x0000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}
