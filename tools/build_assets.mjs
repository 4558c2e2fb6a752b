// Copies the portal's front-end libraries from node_modules (installed from the npm
// registry by `npm ci`, pinned in package-lock.json) into static/dist, which Django serves.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "dist");
const files = [
  ["@tabler/core/dist/css/tabler.min.css", "tabler/tabler.min.css"],
  ["@tabler/core/dist/js/tabler.min.js", "tabler/tabler.min.js"],
  ["@tabler/icons-webfont/dist/tabler-icons.min.css", "icons/tabler-icons.min.css"],
  ["@tabler/icons-webfont/dist/fonts", "icons/fonts"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["chart.js/dist/chart.umd.min.js", "chartjs/chart.umd.min.js"],
  ["@xterm/xterm/lib/xterm.js", "xterm/xterm.js"],
  ["@xterm/xterm/css/xterm.css", "xterm/xterm.css"],
  ["@xterm/addon-fit/lib/addon-fit.js", "xterm/addon-fit.js"],
  ["asciinema-player/dist/bundle", "asciinema-player"],
];

rmSync(out, { recursive: true, force: true });
for (const [src, dst] of files) {
  const target = join(out, dst);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, "node_modules", src), target, { recursive: true });
}
console.log(`front-end assets copied to ${out}`);
