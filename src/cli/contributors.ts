// `ciyuan contributors add|list|revoke`: who may submit usage and prices over HTTP.
import { addContributor, listContributors, revokeContributor } from "../contributors/index.ts";
import { withDatabase } from "./context.ts";

/** Prints the new token alone on stdout, so `TOKEN=$(ciyuan contributors add ...)` keeps it; it is never shown again. */
export async function add(opts: { name: string; providers: string[] }): Promise<void> {
  await withDatabase(async ({ db }) => {
    const { contributor, token } = await addContributor(db, opts);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`contributor ${contributor.name} added for ${contributor.providers.join(", ")}; keep the token: only its SHA-256 is stored\n`);
  });
}

/** One contributor a line, oldest first: name, providers (comma-separated), created_at, revoked_at (or -), tab-separated. */
export async function list(): Promise<void> {
  await withDatabase(async ({ db }) => {
    const all = await listContributors(db);
    for (const c of all) process.stdout.write(`${c.name}\t${c.providers.join(",")}\t${c.createdAt}\t${c.revokedAt ?? "-"}\n`);
    process.stderr.write(`${all.length} contributor${all.length === 1 ? "" : "s"}\n`);
  });
}

/** Revokes from now on; revoking again changes nothing and says when it was revoked. */
export async function revoke(opts: { name: string }): Promise<void> {
  await withDatabase(async ({ db }) => {
    const { contributor, already } = await revokeContributor(db, opts.name);
    process.stderr.write(
      already
        ? `contributor ${contributor.name} was already revoked at ${contributor.revokedAt}\n`
        : `contributor ${contributor.name} revoked at ${contributor.revokedAt}\n`,
    );
  });
}
