// Mistakes an operator makes with `cli clients …`: expected outcomes with a message, not bugs (the CLI exits 2).
export class ClientAdminError extends Error {}

export class ClientNameTakenError extends ClientAdminError {
  constructor(readonly clientName: string) {
    super(`A client named ${clientName} exists already; names are unique. Pick another name.`);
    this.name = 'ClientNameTakenError';
  }
}

export class UnknownClientError extends ClientAdminError {
  constructor(readonly ref: string) {
    super(`No client with id or name ${ref}.`);
    this.name = 'UnknownClientError';
  }
}

export class ClientRevokedError extends ClientAdminError {
  constructor(readonly clientId: string) {
    super(`Client ${clientId} is revoked; issue a new client instead.`);
    this.name = 'ClientRevokedError';
  }
}
