// Styr in a supergraph, with the real tools: composes Styr's subgraph (read from a running
// gateway's `_service { sdl }`) with a small HR subgraph that extends OrgUnit with
// `employeeCount` (@apollo/composition), serves both behind @apollo/gateway + @apollo/server,
// and runs queries that join the two through OrgUnit, with and without a bearer token.
//
//   node federation.mjs <styr graphql url> [<bearer token>]   -> a JSON report on stdout
//   node federation.mjs compose <styr graphql url> [<hr sdl file>] -> the supergraph SDL
//
// Everything listens on 127.0.0.1 and on free ports; the process exits when done.

import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

export const HR_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

"""An org unit as the HR system knows it."""
type OrgUnit @key(fields: "id") {
  id: ID!
  """Employees on the unit's payroll."""
  employeeCount: Int!
}

type Query {
  """The units with the most employees, largest first."""
  largestUnits(first: Int! = 3): [OrgUnit!]!
}
`;

// The HR system's figures (invented) for units of Styr's demo organisation.
const EMPLOYEES = {
  "oxelosund-sabo": 142,
  "oxelosund-hemtjanst": 118,
  "oxelosund-hsl": 37,
  "oxelosund-lss": 64,
  "oxelosund-ifo": 41,
};

async function serviceSdl(url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) {
    throw new Error(`_service of ${url}: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.data._service.sdl;
}

export function compose(styrSdl, styrUrl, hrUrl, hrSdl = HR_SDL) {
  return composeServices([
    { name: "styr", typeDefs: parse(styrSdl), url: styrUrl },
    { name: "hr", typeDefs: parse(hrSdl), url: hrUrl },
  ]);
}

async function startHr() {
  const seen = [];
  const server = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(HR_SDL),
      resolvers: {
        Query: {
          largestUnits: (_, { first }) =>
            Object.entries(EMPLOYEES)
              .sort(([, a], [, b]) => b - a)
              .slice(0, first)
              .map(([id, employeeCount]) => ({ id, employeeCount })),
        },
        OrgUnit: {
          __resolveReference: ({ id }) => ({ id, employeeCount: EMPLOYEES[id] ?? 0 }),
        },
      },
    }),
  });
  const { url } = await startStandaloneServer(server, {
    listen: { host: "127.0.0.1", port: 0 },
    context: async ({ req }) => {
      seen.push(req.headers.authorization ?? null);
      return {};
    },
  });
  return { server, url, seen };
}

async function startRouter(supergraphSdl) {
  // The router forwards the caller's Authorization header to every subgraph.
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) {
            request.http.headers.set("authorization", context.authorization);
          }
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { host: "127.0.0.1", port: 0 },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return { server, url };
}

async function query(url, document, variables, token) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: document, variables }),
  });
  return { status: response.status, body: await response.json() };
}

// Styr's fields on units the HR subgraph names (Styr's `_entities`), and HR's field on units
// Styr returns (HR's `_entities`).
export const FROM_HR = `
query LargestUnits {
  largestUnits(first: 3) { id employeeCount name code parent { id name } }
}`;
export const FROM_STYR = `
query Department($id: ID!) {
  orgUnit(id: $id) {
    name
    employeeCount
    children { nodes { id name employeeCount } }
  }
}`;

async function main(argv) {
  if (argv[0] === "compose") {
    const [, styrUrl, hrFile] = argv;
    const hrSdl = hrFile ? readFileSync(hrFile, "utf8") : HR_SDL;
    const result = compose(await serviceSdl(styrUrl), styrUrl, "http://hr.invalid/graphql", hrSdl);
    if (result.errors) {
      for (const error of result.errors) console.error(error.message);
      return 1;
    }
    process.stdout.write(result.supergraphSdl);
    return 0;
  }
  const [styrUrl, token] = argv;
  const hr = await startHr();
  let router;
  try {
    const styrSdl = await serviceSdl(styrUrl);
    const composition = compose(styrSdl, styrUrl, hr.url);
    const report = {
      compositionErrors: (composition.errors ?? []).map((error) => error.message),
      hints: (composition.hints ?? []).length,
    };
    if (composition.errors) {
      console.log(JSON.stringify(report));
      return 1;
    }
    report.supergraphHasEmployeeCount = composition.supergraphSdl.includes("employeeCount");
    router = await startRouter(composition.supergraphSdl);
    report.fromHr = await query(router.url, FROM_HR, {}, token);
    report.fromStyr = await query(router.url, FROM_STYR, { id: "oxelosund-ao" }, token);
    report.withoutToken = await query(router.url, FROM_HR, {}, null);
    report.hrSawAuthorization = hr.seen;
    console.log(JSON.stringify(report));
    return 0;
  } finally {
    if (router) await router.server.stop();
    await hr.server.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
