import { scan } from './dist/scan.js';
const w = process.argv[2] === 'default' ? undefined : Number(process.argv[2]);
const t = performance.now();
const r = await scan({ targets: [process.argv[3] ?? '/tmp/three-history'], workers: w });
const u = process.resourceUsage();
console.log('workers', process.argv[2], (performance.now() - t).toFixed(0), 'ms', 'cpu', ((u.userCPUTime + u.systemCPUTime) / 1000).toFixed(0), r.findings.length);
