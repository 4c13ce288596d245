// Every route of the service, one module each; the order is the order in /openapi.json.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import * as indices from "./v1/indices/index.ts";

export type RouteModule = { register(app: OpenAPIHono, deps: AppDeps): void };

export const ROUTES: RouteModule[] = [indices.list, indices.latest, indices.fixings, indices.fixing];
