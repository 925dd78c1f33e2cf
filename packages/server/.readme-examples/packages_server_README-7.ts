import { signToken } from '@hubbub/server'

const secret = process.env.HUBBUB_SECRET ?? '' // unset: '' throws a ServerError that says so
const token = await signToken(secret, { userId: 'u42', name: 'Dana', orgId: 'acme' }, { expiresInSec: 900 })
export {}
