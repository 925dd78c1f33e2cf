// The editor page: CodeMirror 6 bound to a Y.Text by y-codemirror.next, synced through a Hubbub room
// by HubbubYjsProvider. Awareness carries each user's name, colour, caret and selection.
import { defaultKeymap } from '@codemirror/commands'
import { EditorState } from '@codemirror/state'
import { EditorView, keymap, lineNumbers } from '@codemirror/view'
import { type ConnectionState, connect } from '@hubbub/client'
import { msgpackWire } from '@hubbub/client/msgpack'
import { HubbubYjsProvider, type ProviderStatus } from '@hubbub/yjs/provider'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'

const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#008080', '#9a6324', '#c2185b']
const ANIMALS = ['otter', 'heron', 'lynx', 'puffin', 'badger', 'gecko', 'marten', 'ibis']

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)]!
}

const params = new URLSearchParams(location.search)
const docName = (params.get('doc') ?? 'welcome').replace(/[^\w.-]/g, '').slice(0, 40) || 'welcome'
const name = (params.get('name') ?? `${pick(ANIMALS)}-${Math.floor(Math.random() * 90 + 10)}`).slice(0, 24)
const colour = pick(COLOURS)

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
$('doc-name').textContent = docName
$('you').textContent = name
$('you').style.setProperty('--colour', colour)

const client = connect(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
  wire: msgpackWire,
  reconnect: { minMs: 300, maxMs: 3000 },
})
const doc = new Y.Doc()
const text = doc.getText('text')
const awareness = new Awareness(doc)
awareness.setLocalStateField('user', { name, color: colour, colorLight: `${colour}33` })
const provider = new HubbubYjsProvider(client, `doc:${docName}`, doc, { awareness, username: name })

const view = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: text.toString(),
    extensions: [
      lineNumbers(),
      EditorView.lineWrapping,
      keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
      yCollab(text, awareness),
      // Remote carets carry their user's name: show it always, not only on hover.
      EditorView.theme({ '.cm-ySelectionInfo': { opacity: '1', fontFamily: 'inherit', top: '-1.3em' } }),
    ],
  }),
})

// The reconnect indicator: the provider's status, and the client's reconnecting in between.
const status = $('status')
let clientState: ConnectionState = client.state
let providerStatus: ProviderStatus = provider.status
/** Why the room refused an edit for good, if it did. */
let refused: string | undefined
function showStatus(): void {
  const state =
    providerStatus === 'connected' && provider.synced
      ? 'connected'
      : clientState === 'reconnecting' || providerStatus === 'disconnected'
        ? 'reconnecting'
        : 'connecting'
  status.dataset.state = state
  status.textContent =
    state === 'connected' ? 'Live' : state === 'reconnecting' ? 'Offline · reconnecting…' : 'Connecting…'
  status.title =
    refused ??
    (state === 'reconnecting'
      ? 'Keep typing: your edits are kept here and sent when the connection is back.'
      : '')
  document.body.dataset.status = state
}
client.on('state', (s) => {
  clientState = s
  showStatus()
})
provider.on('status', ({ status: s }) => {
  providerStatus = s
  showStatus()
})
provider.on('sync', () => showStatus())
// An edit the room refused for good (e.g. a paste over its update size limit) stays in this tab only.
provider.on('error', (error) => {
  refused = `An edit was refused by the server and stays in this tab only: ${error.message}`
  showStatus()
})
showStatus()

// Presence avatars: one per awareness state that has a user (this tab's first).
const avatars = $('avatars')
function showPresence(): void {
  const states = [...awareness.getStates().entries()].sort(([a], [b]) =>
    a === doc.clientID ? -1 : b === doc.clientID ? 1 : a - b,
  )
  avatars.replaceChildren()
  for (const [id, state] of states) {
    const user = state.user as { name?: string; color?: string } | undefined
    if (!user?.name) continue
    const li = document.createElement('li')
    li.className = 'avatar'
    li.dataset.testid = 'avatar'
    li.dataset.name = user.name
    li.title = id === doc.clientID ? `${user.name} (you)` : user.name
    li.style.setProperty('--colour', user.color ?? '#888')
    li.textContent = user.name.slice(0, 1).toUpperCase()
    avatars.append(li)
  }
  $('count').textContent = `${avatars.children.length} here`
}
awareness.on('change', showPresence)
showPresence()

// For tests and the console: what the editor shows, and this tab's connection.
Object.assign(window, {
  collab: {
    text: () => view.state.doc.toString(),
    selection: () => view.state.sliceDoc(view.state.selection.main.from, view.state.selection.main.to),
    connectionId: () => client.welcome?.connectionId,
    provider,
  },
})
view.focus()
