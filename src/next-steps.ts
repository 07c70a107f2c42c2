/**
 * What `npm start` prints once the API listens: where to go next, for someone who has only just cloned the repo.
 * The URLs are the running server's own, so the lines are true whatever PORT is.
 */
export function nextSteps(url: string): string {
  const lines: [string, string][] = [
    [
      'issue a token',
      'npm run --silent cli -- clients create --name me --scopes events:write,read,support,admin --json',
    ],
    ['API reference', `${url}/docs`],
    ['support console', `${url}/console   (paste the token into "API token")`],
    ['job queues', `${url}/admin/queues   (sign in with an admin token)`],
    ['health', `${url}/healthz`],
  ];
  const width = Math.max(...lines.map(([label]) => label.length)) + 1;
  return ['Next steps:', ...lines.map(([label, text]) => `  ${`${label}:`.padEnd(width)}  ${text}`)].join('\n');
}
