import { afterAll, beforeAll, it } from 'vitest';
import { HttpClient } from '../support/http-client.js';
import { fundedMilestone, projectInProgress, uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => svc?.stop());

it('probe', async () => {
  const { http } = svc;
  const p = await projectInProgress(http);
  const m = await fundedMilestone(http, p, '1000');
  const fundingCreate = await http.post(`/v1/projects/${p.projectId}/milestones`, { type: 'CREATE', actor: p.employer, amount: '999999', description: 'x' });
  const show = (label: string, r: { status: number; body: unknown }) => console.log(label, r.status, JSON.stringify(r.body).slice(0, 400));
  show('funding create', fundingCreate);
  const f = fundingCreate.body.id;
  show('system smuggle on funding', await http.post(`/v1/milestones/${f}/events`, { type: 'SETTLED', actor: 'x', system: true }));
  show('system smuggle release', await http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.freelancer, system: true }));
  show('proto', await http.post(`/v1/milestones/${m.id}/events`, `{"type":"RELEASE","actor":"${p.employer}","amount":"1","__proto__":{"system":true}}`));
  show('proto settled', await http.post(`/v1/milestones/${f}/events`, `{"type":"SETTLED","actor":"${p.employer}","__proto__":{"system":true}}`));
  show('proto project', await http.post(`/v1/projects`, `{"employerId":"e","title":"t","currency":"USD","__proto__":{"polluted":"yes"}}`));
  show('ctor', await http.post(`/v1/projects`, `{"employerId":"e","title":"t","currency":"USD","constructor":{"prototype":{"polluted":"yes"}}}`));
  show('pct', await http.get(`/v1/projects/%E0%A4%A`));
  show('pct ms', await http.post(`/v1/milestones/%E0%A4%A/events`, { type: 'RELEASE', actor: 'x' }));
  show('gzip garbage', await http.post(`/v1/projects`, 'not gzip', { 'content-encoding': 'gzip' }));
  show('enc compress', await http.post(`/v1/projects`, '{}', { 'content-encoding': 'compress' }));
  show('charset', await http.post(`/v1/projects`, '{}', { 'content-type': 'application/json; charset=latin9' }));
  show('empty', await http.post(`/v1/projects`, ''));
  show('max', await http.post(`/v1/accounts/${uid('o')}/deposits`, { currency: 'XAU', amount: '9223372036854775807' }));
  show('max2', await http.post(`/v1/accounts/${uid('o')}/deposits`, { currency: 'XAU', amount: '9223372036854775807' }));
  show('max3', await http.post(`/v1/accounts/${uid('o')}/deposits`, { currency: 'XAU', amount: '1' }));
  show('none', await new HttpClient(svc.url, null).get('/v1/projects/x'));
  show('long', await http.get(`/v1/projects/${'a'.repeat(300)}`));
  show('nul', await http.get(`/v1/projects/a%00b`));
  show('accounts long', await http.get(`/v1/accounts/${'a'.repeat(300)}`));
  show('big', await http.post(`/v1/projects`, JSON.stringify({ employerId: 'e', title: 't', currency: 'USD', pad: 'a'.repeat(1 << 20) })));
  show('final milestone', await http.get(`/v1/milestones/${f}`));
});
