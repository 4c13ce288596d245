// Every route of the service, one module each; the order is the order in /openapi.json.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import * as indices from "./v1/indices/index.ts";
import * as models from "./v1/models/index.ts";
import * as sources from "./v1/sources/index.ts";
import * as pages from "./pages.ts";
import * as admin from "./v1/admin/index.ts";
import * as contributions from "./v1/contributions/index.ts";
import * as docs from "./docs.ts";
import * as health from "./health.ts";
import * as metrics from "./metrics.ts";
import * as openapi from "./openapi.ts";
import * as stream from "./v1/stream.ts";
import * as changes from "./v1/changes.ts";
import * as keys from "./v1/keys.ts";
import * as status from "./v1/status.ts";
import * as hedge from "./v1/hedge.ts";

export type RouteModule = { register(app: OpenAPIHono, deps: AppDeps): void };

export const ROUTES: RouteModule[] = [
  indices.list,
  indices.latest,
  indices.fixings,
  indices.fixing,
  indices.revisions,
  indices.settlement,
  hedge,
  indices.attribution,
  indices.definition, // /v1/indices/{code}: one segment, so it never shadows /v1/indices/{code}/...
  models.list,
  models.prices,
  changes,
  sources.runs,
  stream,
  keys,
  admin.auth, // before the admin routes: it guards them
  admin.approve,
  admin.restate,
  contributions.auth, // names the contributors' token scheme in the document
  contributions.usage,
  contributions.prices,
  contributions.list,
  health,
  status,
  metrics,
  openapi,
  docs,
  pages,
];
