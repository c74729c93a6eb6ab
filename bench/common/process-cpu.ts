import { readFileSync, readdirSync } from 'node:fs';

/** CPU time of local processes from `/proc` (Linux; elsewhere the figures are left out). */

const CLK_TCK = 100;

/** CPU seconds of a process (utime + stime, plus reaped children's with `children`). */
export const procCpuSeconds = (pid: number, children = false): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    let ticks = Number(fields[11]) + Number(fields[12]);
    if (children) ticks += Number(fields[13]) + Number(fields[14]);
    return ticks / CLK_TCK;
  } catch {
    return 0;
  }
};

/** CPU seconds of every local `postgres` process (the postmaster's reaped children included). */
export const postgresCpuSeconds = (): number | undefined => {
  if (process.platform !== 'linux') return undefined;
  let total = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    found = true;
    const pid = Number(entry);
    let ppidIsPostgres = false;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]!;
      ppidIsPostgres = readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      // gone meanwhile
    }
    total += procCpuSeconds(pid, !ppidIsPostgres); // the postmaster counts its exited backends
  }
  return found ? total : undefined;
};

/** The processes whose parent is `pid` (the API's cluster workers, say). */
export const childPids = (pid: number): number[] => {
  if (process.platform !== 'linux') return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(pid)) {
        children.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return children;
};

/** CPU seconds of a process and of its children that are running now. */
export const processTreeCpuSeconds = (pid: number): number =>
  childPids(pid).reduce((total, child) => total + procCpuSeconds(child), procCpuSeconds(pid));
