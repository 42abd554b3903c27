import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Writes a zip (deflated members, UTF-8 names) in memory: enough of PKWARE's APPNOTE for yauzl and unzip,
 * and no dependency. Names ending in `/` are folder entries. Fixed timestamps: the bytes are reproducible.
 */
export function makeZip(members: Record<string, string | Buffer>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(members)) {
    const data = Buffer.from(content);
    const packed = name.endsWith('/') ? Buffer.alloc(0) : deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const fields = { method: name.endsWith('/') ? 0 : 8, crc: crc32(data), csize: packed.length, usize: data.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(fields.method, 8);
    local.writeUInt16LE(0, 10); // 00:00
    local.writeUInt16LE((44 << 9) | (1 << 5) | 2, 12); // 2024-01-02
    local.writeUInt32LE(fields.crc, 14);
    local.writeUInt32LE(fields.csize, 18);
    local.writeUInt32LE(fields.usize, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const head = Buffer.alloc(46);
    head.writeUInt32LE(0x02014b50, 0);
    head.writeUInt16LE(20, 4);
    local.copy(head, 6, 4, 30); // version needed … name length: the same fields as the local header
    head.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    central.push(head, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const n = Object.keys(members).length;
  end.writeUInt16LE(n, 8);
  end.writeUInt16LE(n, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
