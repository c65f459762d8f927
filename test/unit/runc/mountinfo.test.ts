import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overlayRoot, parseMountInfo, parseSuperOptions, unescapeMountField } from '../../../src/runc/mountinfo.ts';

// As the test node's containerd containers see it (CRIU 4.1.1 machine, Linux 6.18).
const containerd = `99 46 0:44 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/work,uuid=on
100 99 0:47 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
101 99 0:48 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
52 100 0:48 /null /proc/keys rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
120 99 0:60 / /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime shared:5 master:3 - cgroup cgroup rw,memory
`;

describe('mountinfo', () => {
  it('parses fields, optional fields included', () => {
    const m = parseMountInfo(containerd);
    assert.equal(m.length, 5);
    assert.deepEqual(m[4], {
      mountId: 120, parentId: 99, device: '0:60', root: '/', mountPoint: '/sys/fs/cgroup/memory',
      options: 'ro,nosuid,nodev,noexec,relatime', optionalFields: ['shared:5', 'master:3'],
      fsType: 'cgroup', source: 'cgroup', superOptions: 'rw,memory',
    });
    assert.equal(m[3]?.root, '/null');
  });

  it('finds the overlay layers of the container root', () => {
    assert.deepEqual(overlayRoot(parseMountInfo(containerd)), {
      upperdir: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/fs',
      lowerdirs: ['/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs'],
      workdir: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/work',
    });
  });

  it('handles several lower layers and escaped characters', () => {
    const line = '5 1 0:9 / / rw - overlay overlay rw,lowerdir=/l/a\\054b:/l/c\\:d:/l/e,upperdir=/u/with\\040space,workdir=/w\n';
    assert.deepEqual(overlayRoot(parseMountInfo(line)), { upperdir: '/u/with space', lowerdirs: ['/l/a,b', '/l/c:d', '/l/e'], workdir: '/w' });
    assert.equal(unescapeMountField('a\\040b\\011c\\134d'), 'a b\tc\\d');
    assert.deepEqual(parseSuperOptions('rw,lowerdir+=/a,lowerdir+=/b'), [['rw', ''], ['lowerdir+', '/a'], ['lowerdir+', '/b']]);
    const plus = '5 1 0:9 / / rw - overlay overlay rw,lowerdir+=/l1,lowerdir+=/l2,upperdir=/u,workdir=/w\n';
    assert.deepEqual(overlayRoot(parseMountInfo(plus))?.lowerdirs, ['/l1', '/l2']);
  });

  it('takes the topmost mount on / and has nothing for a non-overlay root', () => {
    const stacked = `${containerd}200 99 0:70 / / rw - overlay overlay rw,lowerdir=/x,upperdir=/top,workdir=/tw\n`;
    assert.equal(overlayRoot(parseMountInfo(stacked))?.upperdir, '/top');
    assert.equal(overlayRoot(parseMountInfo('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n')), undefined);
  });

  it('refuses a malformed line', () => {
    assert.throws(() => parseMountInfo('1 2 3\n'), /malformed/);
  });
});
