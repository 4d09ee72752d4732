import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";

/// The server resolves `target/site` and relative SQLite paths against its working directory,
/// so extra servers run from the repository root exactly like the main one in scripts/test.sh.
export const repoRoot = path.resolve(__dirname, "../..");

const READY_WITHIN_MS = 30_000;
const EXIT_WITHIN_MS = 10_000;

export interface ServerHandle {
  port: number;
  url: string;
  logFile: string;
  /// Sends SIGTERM and resolves with the exit code once the process is gone (null if a signal
  /// ended it). Rejects, after a SIGKILL, if it is still running 10 s later. Safe to call twice.
  stop(): Promise<number | null>;
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

/// A port nothing listens on, chosen by the kernel. Fixed ports collide with whatever else runs on
/// the machine (scripts/run.sh, a second run of the suite), and startServer refuses a busy port.
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/// The server binary the tests start: `E2E_SERVER` (scripts/test.sh names the release build),
/// else a debug build's `target/debug/server`.
const serverBinary = path.resolve(repoRoot, process.env.E2E_SERVER ?? path.join("target", "debug", "server"));

/// Starts `serverBinary --no-seed` on 127.0.0.1:`port` against `databaseUrl` and resolves
/// once it answers HTTP, with `settings` as extra environment variables (`MAX_EVENT_STREAMS`, …).
/// Its output is appended to `logFile`.
export async function startServer(
  port: number,
  databaseUrl: string,
  logFile = path.join(repoRoot, "end2end", "test-results", "servers", `server-${port}.log`),
  settings: Record<string, string> = {},
): Promise<ServerHandle> {
  const url = `http://127.0.0.1:${port}`;
  // Polling a port someone else already serves would "start" instantly and test the wrong server.
  if (await answers(url)) throw new Error(`port ${port} is already serving HTTP; stop whatever runs there first`);

  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: "a" });
  log.write(`--- starting on port ${port} at ${new Date().toISOString()} ---\n`);
  const child = spawn(serverBinary, ["--no-seed"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LEPTOS_OUTPUT_NAME: "immutable-tasks",
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      ...settings,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Both streams share one file, so neither may close it when it ends.
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  // A worker that dies without running teardown must not leave the server holding the port.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      log.write(`cannot run the server: ${error.message}\n`);
      resolve(null);
    });
    child.once("close", (code) => {
      process.removeListener("exit", killOnExit);
      log.end();
      resolve(code);
    });
  });
  let running = true;
  void exited.then(() => (running = false));

  const deadline = Date.now() + READY_WITHIN_MS;
  while (!(await answers(url))) {
    if (!running) throw new Error(`the server on port ${port} exited before it answered; see ${logFile}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`the server on port ${port} did not answer within ${READY_WITHIN_MS / 1000} s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    port,
    url,
    logFile,
    async stop() {
      if (!running) return exited;
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const tooSlow = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`the server on port ${port} ignored SIGTERM for ${EXIT_WITHIN_MS / 1000} s and was killed; see ${logFile}`));
        }, EXIT_WITHIN_MS);
      });
      try {
        return await Promise.race([exited, tooSlow]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
