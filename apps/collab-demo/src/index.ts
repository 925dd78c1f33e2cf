export { CollabServer, type CollabServerOptions, DOC_ROOM, PAGE_SCRIPT, pageDir } from './CollabServer.js'
export { bundlePage, pageEntry } from './pageBundle.js'
