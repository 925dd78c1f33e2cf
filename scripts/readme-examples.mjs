#!/usr/bin/env node
// Type-checks every TypeScript example of the root README, the package READMEs and the app READMEs
// (strict, exactOptionalPropertyTypes), each as a module of its own, placed in the folder of the
// package whose README it is in, so that it imports what a user of that package has installed.
// All examples are checked by ONE TypeScript program (the compiler API), and only the examples' own
// diagnostics are asked for, so the libraries they import are read once and checked only as far as
// the examples use them: one `tsc -p` per package took minutes under load.
//
// Which fences count: ```ts, ```typescript, ```tsx, and ```js, ```javascript, ```mjs (indented ones in
// lists too). Every one of them is a whole program by default: type-checked (TypeScript) and also
// executed as written by packages/server/test/readmeRun.test.ts. In the info string (GitHub and npm
// show only the language, the rest is invisible to readers):
//   ```ts fragment        a piece that continues an earlier fence or shows one call (it `declare`s
//                         what it needs): type-checked only, not run
//   ```ts no-check <why>  neither checked nor run; the reason is required and printed
// So a new fence must run unless it says otherwise: nothing is skipped silently.
//
//   node scripts/readme-examples.mjs            check all, exit 1 on an error (file:line of each)
//   node scripts/readme-examples.mjs --list     print what is run, type-checked only, or opted out
//   node scripts/readme-examples.mjs packages/server/README.md …   only these READMEs
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const TS = ['ts', 'typescript', 'tsx']
const JS = ['js', 'javascript', 'mjs']
const FENCE = /^( *)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/

/**
 * The TypeScript and JavaScript fences of one Markdown text:
 * `{ line, code, lang, rest, ts }` (line: 1-based, of the first code line).
 */
export function extractExamples(markdown) {
  const lines = markdown.split('\n')
  const out = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (!open) continue
    const [, indent, marker, lang, rest] = open
    const body = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = /^( *)(`{3,}|~{3,})\s*$/.exec(lines[j])
      if (close && close[2][0] === marker[0] && close[2].length >= marker.length) break
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart())
    }
    const ts = TS.includes(lang.toLowerCase())
    if (ts || JS.includes(lang.toLowerCase())) {
      out.push({ line: i + 2, code: body.join('\n'), lang, rest: rest.trim(), ts })
    }
    i = j
  }
  return out
}

/** `no-check <reason>` in the info string: the reason, '' when it is missing, undefined when not opted out. */
export function optOut(rest) {
  const m = /^no-check\b\s*(.*)$/.exec(rest)
  return m ? m[1].trim() : undefined
}

/** `fragment` in the info string: type-checked only (it is not a program of its own). */
export function fragment(rest) {
  return /^fragment\b/.test(rest)
}

/** Whether an example is executed (readmeRun.test.ts): all but fragments and opt-outs. */
export function runnable(rest) {
  return !fragment(rest) && optOut(rest) === undefined
}

/** The READMEs to check, each with the folder its examples are compiled (and run) from. */
export function readmes(only = []) {
  const home = (readme) => (dirname(readme) === root ? join(root, 'packages', 'server') : dirname(readme))
  if (only.length > 0) return only.map((path) => ({ readme: join(root, path), dir: home(join(root, path)) }))
  const found = [{ readme: join(root, 'README.md'), dir: home(join(root, 'README.md')) }]
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, parent)).sort()) {
      const readme = join(root, parent, name, 'README.md')
      if (existsSync(readme)) found.push({ readme, dir: dirname(readme) })
    }
  }
  return found
}

/** Every example of these READMEs: `{ where, readme, line, dir, code, lang, rest, skip?, run }`. */
export function collect(only = []) {
  const all = []
  for (const { readme, dir } of readmes(only)) {
    for (const ex of extractExamples(readFileSync(readme, 'utf8'))) {
      all.push({
        ...ex,
        readme,
        dir,
        where: `${relative(root, readme)}:${ex.line}`,
        skip: optOut(ex.rest),
        run: runnable(ex.rest),
      })
    }
  }
  return all
}

export const compilerOptions = {
  target: 'ES2022',
  lib: ['ES2023', 'DOM'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  customConditions: ['@hubbub/source'],
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
  isolatedModules: true,
  incremental: false,
}

/**
 * Type-checks the examples; returns `{ checked, skipped, problems }`, each problem "README:line: message".
 * The examples are written to `<dir>/.readme-examples-<pid>/` for the time of the check.
 */
export function check(only = []) {
  const ts = createRequire(join(root, 'package.json'))('typescript')
  const examples = collect(only)
  const problems = []
  const skipped = []
  const files = new Map() // file name → example
  for (const ex of examples) {
    if (!ex.ts) continue // a JavaScript fence to run: nothing to type-check
    if (ex.skip === '') problems.push(`${ex.where}: "no-check" needs a reason (\`\`\`ts no-check <why>)`)
    if (ex.skip !== undefined) {
      skipped.push(ex)
      continue
    }
    const work = join(ex.dir, `.readme-examples-${process.pid}`)
    const base = relative(root, ex.readme).replaceAll('/', '_').replace(/\.md$/i, '')
    files.set(join(work, `${base}-${ex.line}.${ex.lang === 'tsx' ? 'tsx' : 'ts'}`), ex)
  }
  const dirs = new Set([...files.keys()].map((f) => dirname(f)))
  try {
    for (const d of dirs) mkdirSync(d, { recursive: true })
    // `export {}`: a module of its own (top-level await, no clashes between examples).
    for (const [file, ex] of files) writeFileSync(file, `${ex.code}\nexport {}\n`)
    const { options, errors } = ts.convertCompilerOptionsFromJson(compilerOptions, root)
    if (errors.length > 0) throw new Error(ts.flattenDiagnosticMessageText(errors[0].messageText, '\n'))
    options.typeRoots = [join(root, 'node_modules', '@types')]
    const program = ts.createProgram({ rootNames: [...files.keys()], options })
    const describe = (d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]
      const ex = d.file && files.get(d.file.fileName)
      if (!ex) return `${d.file ? relative(root, d.file.fileName) : '(program)'}: TS${d.code} ${text}`
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0)
      return `${relative(root, ex.readme)}:${ex.line + line}: TS${d.code} ${text}`
    }
    for (const d of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
      problems.push(describe(d))
    }
    for (const sf of program.getSourceFiles()) {
      if (!files.has(sf.fileName)) continue
      for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
        problems.push(describe(d))
      }
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  return { checked: [...files.values()], skipped, problems }
}

/** "N fences: N run, N type-checked fragments, N opted out". */
export function summary(all) {
  const run = all.filter((e) => e.run).length
  const fragments = all.filter((e) => !e.run && e.skip === undefined).length
  const out = all.filter((e) => e.skip !== undefined).length
  return `readme examples: ${all.length} fences: ${run} run, ${fragments} type-checked fragments, ${out} opted out`
}

function main() {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'))
  if (process.argv.includes('--list')) {
    const all = collect(only)
    for (const ex of all) {
      const checked = !ex.ts ? undefined : ex.skip === undefined ? 'check' : 'no-check'
      const what = [checked, ex.run ? 'run' : undefined].filter(Boolean).join('+')
      const why = ex.skip ? ` (${ex.skip})` : ''
      console.log(`  ${what.padEnd(14)} ${ex.where}${why}`)
    }
    console.log(summary(all))
    return
  }
  const started = performance.now()
  const { checked, skipped, problems } = check(only)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(
    `readme examples: ${checked.length} checked (one program, ${seconds} s), ${skipped.length} opted out`,
  )
  for (const s of skipped) console.log(`  no-check ${s.where}: ${s.skip || '(no reason)'}`)
  if (problems.length > 0) {
    console.error(`\n${problems.length} problem(s) in README examples:`)
    for (const p of problems) console.error(`  ${p}`)
    process.exit(1)
  }
  console.log('readme examples: all type-check')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
