import { Router } from 'express';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { currencyExponent } from '../../currencies.js';
import { balancesOf } from '../../ledger/balances.js';
import { deposit } from '../../ledger/deposit.js';
import { formatMoney, parseMoney } from '../../money.js';
import { runWrite } from '../idempotent.js';
import { clientId, depositBody, parseOrThrow } from '../schemas.js';
import { statementHandler } from './account-statement.js';

export function accountRoutes(deps: ApiDeps): Router {
  const { db, config } = deps;
  const router = Router();
  const depositMax = BigInt(config.DEPOSIT_MAX);

  router.post('/:ownerId/deposits', requireScope('admin'), async (req, res) => {
    const ownerId = parseOrThrow(clientId, req.params.ownerId, 'owner id');
    const body = parseOrThrow(depositBody, req.body, 'deposit');
    const amount = parseMoney(body.amount);
    if (amount === null) throw new Error('schema accepted an amount parseMoney refuses');
    const reply = await runWrite(db, config, req, async (trx) => {
      const result = await deposit(trx, ownerId, body.currency, amount, depositMax);
      return {
        status: 201,
        body: {
          transferId: result.transferId,
          currency: body.currency,
          currencyExponent: currencyExponent(body.currency),
          balance: formatMoney(result.balance),
        },
      };
    });
    res.status(reply.status).json(reply.body);
  });

  router.get('/:ownerId/statement', requireScope('read'), statementHandler(deps));

  router.get('/:ownerId', requireScope('read'), async (req, res) => {
    const ownerId = parseOrThrow(clientId, req.params.ownerId, 'owner id');
    res.json({ ownerId, balances: await balancesOf(db, ownerId) });
  });

  return router;
}
