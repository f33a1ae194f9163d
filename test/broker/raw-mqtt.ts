// MQTT 3.1.1 packets built by hand, for tests that must send what a well-behaved client would not
// (or from a source address of their own, which MQTT.js cannot set).

/** MQTT's variable-length "remaining length". */
export function remainingLength(size: number): number[] {
  const bytes: number[] = [];
  for (let rest = size; ;) {
    const byte = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? byte | 0x80 : byte);
    if (rest === 0) return bytes;
  }
}

/** A length-prefixed field: a string as UTF-8, or bytes as they are. */
export function field(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** A packet: its first byte (type and flags), its remaining length, its body. */
export function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first, ...remainingLength(body.length)]), body]);
}

/** A CONNECT with a clean session, a user name and a password. */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc2, 0, 30]);
  return packet(0x10, Buffer.concat([header, field(clientId), field(username), field(password)]));
}

/** The start of a CONNECT that declares `size` bytes: its fixed header and protocol name. */
export function connectHeader(size: number): Buffer {
  return Buffer.from([0x10, ...remainingLength(size), 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]);
}
