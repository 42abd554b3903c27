/**
 * CPU time of a running process's threads and of its child processes, sampled from /proc (Linux only;
 * elsewhere the sample is empty). On 2 cores a history scan is bound by the sum of everyone's CPU, not by
 * any one thread: this says who spends it (the reading thread, a detection worker, V8's GC helpers, git).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** One thread or child process: what it is and its CPU time (user + system) in ms. */
export interface ThreadCpu {
  label: string;
  ms: number;
}

/** Clock ticks per second of /proc's times: 100 on every Linux build Node supports. */
const TICK_MS = 10;

function cpuOf(statPath: string): { comm: string; ms: number } | null {
  try {
    const stat = readFileSync(statPath, 'utf8');
    // The command name is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a && a !== '-C' && !a.startsWith('/')).slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/** Samples every `everyMs` until stopped; returns the last value seen of each thread and child. */
export function sampleThreads(pid: number, everyMs = 50): { stop(): ThreadCpu[] } {
  const last = new Map<string, ThreadCpu>();
  const sample = (): void => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      const t = cpuOf(`/proc/${pid}/task/${tid}/stat`);
      if (t) last.set(`t${tid}`, { label: tid === String(pid) ? 'main thread' : `thread ${tid}`, ms: t.ms });
      let children: string[] = [];
      try {
        children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' ').filter(Boolean);
      } catch {
        // The thread ended between the listing and this read.
      }
      for (const child of children) {
        const c = cpuOf(`/proc/${child}/stat`);
        if (!c) continue;
        // Read again each time: a child caught between fork and exec still shows this process's command line.
        const now = commandOf(child);
        // An exited child (a zombie) has an empty command line: its label stays the one seen before.
        const label = now !== '?' && now !== '' ? now : (last.get(`p${child}`)?.label ?? 'child process');
        last.set(`p${child}`, { label, ms: c.ms });
      }
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return [...last.values()].sort((a, b) => b.ms - a.ms);
    },
  };
}

/** `main thread 2.0 s, thread 123 1.9 s, git cat-file --batch 1.3 s, ...; in all 6.9 s`: the largest few. */
export function formatThreads(threads: ThreadCpu[], shown = 8): string {
  const total = threads.reduce((n, t) => n + t.ms, 0);
  const parts = threads.filter((t) => t.ms > 0).slice(0, shown).map((t) => `${t.label} ${(t.ms / 1000).toFixed(2)} s`);
  return `${parts.join(', ')}; in all ${(total / 1000).toFixed(2)} s`;
}
