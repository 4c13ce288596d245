// Contributors: who may submit usage and prices over HTTP, their submissions and receipts.
export { addContributor, listContributors, revokeContributor, contributorByTokenSha256, type Contributor } from "./registry.ts";
export { contributorNameProblem, providerProblem } from "./names.ts";
export { newToken, tokenSha256, TOKEN_PREFIX } from "./tokens.ts";
export { submitContribution, recordOversized, MAX_BODY_BYTES, type Submission, type SubmitResult } from "./submit.ts";
export { receiptDocument, signReceipt, type SignedReceipt } from "./receipts.ts";
export { listContributions, recordContribution, type ContributionKind, type ContributionQuery, type ContributionRecord } from "./audit.ts";
