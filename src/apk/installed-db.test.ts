import { describe, expect, it } from 'vitest';
import { formatInstalledDb, parseInstalledDb } from './installed-db.js';
import { newPackageRecord } from './types.js';

const DB = `C:Q1GnnDm59VZtPVL5vCI9r/HFzs2yI=
P:musl
V:1.2.3-r0
A:aarch64
S:391631
I:651264
T:the musl c library
p:so:libc.musl-aarch64.so.1=1
r:musl-old
F:lib
R:ld-musl-aarch64.so.1
a:0:0:755
Z:Q1si4jgdR3AZ9XAV0dRJ/bbz3pz8I=
R:libc.musl-aarch64.so.1
Z:Q14RpiCEfZIqcg1XDcVqp8QEpc9ks=
F:var/empty
M:0:0:555

P:zlib
V:1.3-r0
A:aarch64
R:rootfile

`;

describe('parseInstalledDb', () => {
  it('reads records, directories, files and their modes', () => {
    const [musl, zlib] = parseInstalledDb(DB);
    expect(musl?.record).toMatchObject({ name: 'musl', size: 391631, replaces: ['musl-old'] });
    expect(musl?.dirs).toEqual([
      {
        path: 'lib',
        files: [
          {
            name: 'ld-musl-aarch64.so.1',
            acl: '0:0:755',
            checksum: 'Q1si4jgdR3AZ9XAV0dRJ/bbz3pz8I=',
          },
          { name: 'libc.musl-aarch64.so.1', checksum: 'Q14RpiCEfZIqcg1XDcVqp8QEpc9ks=' },
        ],
      },
      { path: 'var/empty', acl: '0:0:555', files: [] },
    ]);
    expect(zlib?.dirs).toEqual([{ path: '', files: [{ name: 'rootfile' }] }]);
  });

  it('writes the same bytes back', () => {
    expect(formatInstalledDb(parseInstalledDb(DB))).toBe(DB);
  });

  it('writes new stanzas from the record and file list', () => {
    const record = newPackageRecord('hello', '1-r0', 'x86_64');
    const text = formatInstalledDb([
      {
        record,
        dirs: [{ path: 'usr/bin', files: [{ name: 'hello', acl: '0:0:755' }] }],
        lines: [],
      },
    ]);
    expect(text).toBe('P:hello\nV:1-r0\nA:x86_64\nF:usr/bin\nR:hello\na:0:0:755\n\n');
    expect(parseInstalledDb(text)[0]?.record.name).toBe('hello');
  });

  it('rejects a file mode before any file', () => {
    expect(() => parseInstalledDb('P:a\nV:1\na:0:0:755\n', 'db')).toThrow(
      /a: before any R: on line 3 of db/,
    );
  });
});
