// GET /v1/keys: the public keys that verify published signatures.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../deps.ts";
import { publishedKeys } from "../../read/keys.ts";
import { jsonResponse, untyped } from "../../respond.ts";
import { ERROR_RESPONSES } from "../../schemas.ts";

const Key = z
  .object({
    kid: z.string().describe("names the key in a signature's `kid`").openapi({ example: "ed25519-3f1c9a0b27d4e865" }),
    alg: z.literal("Ed25519"),
    public_key: z.string().describe("the public key, SPKI PEM"),
  })
  .openapi("Key");

const KeyList = z
  .object({ keys: z.array(Key).describe("the key signing now first, then every key that signed before, oldest first") })
  .openapi("KeyList");

export const route = createRoute({
  method: "get",
  path: "/v1/keys",
  summary: "The public keys that verify published signatures",
  description:
    "A fixing's `signature.sig` is base64url Ed25519 over the UTF-8 lines `ciyuan-fixing/1`, index, fixing_time, " +
    "kind, revision, status, value, level, p25, p50, p75, methodology_version, inputs_sha256 joined by `\\n` " +
    "(numbers with exactly 6 decimals, null as an empty line). Keys that signed earlier fixings stay listed after a rotation.",
  responses: {
    200: { content: { "application/json": { schema: KeyList } }, description: "every key, the current one first" },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) =>
    untyped(
      jsonResponse(c, {
        keys: (await publishedKeys(db, signer)).map((k) => ({ kid: k.kid, alg: k.alg, public_key: k.publicKeyPem })),
      }),
    ),
  );
}
