#!/usr/bin/env node
// Type-checks every TypeScript example of the root README and the package READMEs (strict, with the
// repository's compiler options), each as a module of its own, from the folder of the package whose
// README it is in, so that it imports what a user of that package has installed.
//
// Which fences count: ```ts, ```typescript and ```tsx (indented ones in lists too). An example opts
// out with a reason in its info string: ```ts no-check <why>. An opt-out without a reason fails, and
// every opt-out is printed with its reason, so none is silent.
//
//   node scripts/readme-examples.mjs            check all, exit 1 on an error
//   node scripts/readme-examples.mjs --list     print what would be checked and what opts out
//   node scripts/readme-examples.mjs packages/server/README.md …   only these READMEs
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FENCE = /^( *)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/

/** The TypeScript fences of one Markdown text: `{ line, code, lang, rest }` (line: 1-based, of the first code line). */
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
    if (['ts', 'typescript', 'tsx'].includes(lang.toLowerCase())) {
      out.push({ line: i + 2, code: body.join('\n'), lang, rest: rest.trim() })
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

function readmes() {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'))
  if (only.length > 0) {
    return only.map((path) => {
      const readme = join(root, path)
      const dir = dirname(readme) === root ? join(root, 'packages', 'server') : dirname(readme)
      return { readme, dir }
    })
  }
  const found = [{ readme: join(root, 'README.md'), dir: join(root, 'packages', 'server') }]
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const readme = join(root, 'packages', name, 'README.md')
    if (existsSync(readme)) found.push({ readme, dir: join(root, 'packages', name) })
  }
  return found
}

const compilerOptions = {
  target: 'ES2022',
  lib: ['ES2023', 'DOM'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  customConditions: ['@hubbub/source'],
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
  isolatedModules: true,
}

function main() {
  const list = process.argv.includes('--list')
  const skipped = []
  const problems = []
  const groups = new Map()
  for (const { readme, dir } of readmes()) {
    const examples = extractExamples(readFileSync(readme, 'utf8'))
    for (const [n, ex] of examples.entries()) {
      const where = `${relative(root, readme)}:${ex.line}`
      const reason = optOut(ex.rest)
      if (reason === '') problems.push(`${where}: "no-check" needs a reason (\`\`\`ts no-check <why>)`)
      if (reason !== undefined) {
        skipped.push(`${where}: ${reason || '(no reason)'}`)
        continue
      }
      const files = groups.get(dir) ?? []
      const base = relative(root, readme).replaceAll('/', '_').replace(/\.md$/i, '')
      files.push({ name: `${base}-${n + 1}.${ex.lang === 'tsx' ? 'tsx' : 'ts'}`, where, ex })
      groups.set(dir, files)
    }
  }
  const count = [...groups.values()].reduce((a, f) => a + f.length, 0)
  console.log(`readme examples: ${count} to check, ${skipped.length} opted out`)
  for (const s of skipped) console.log(`  no-check ${s}`)
  if (list) {
    for (const files of groups.values()) for (const f of files) console.log(`  check ${f.where}`)
    return
  }

  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  for (const [dir, files] of groups) {
    // Inside the package's folder, so its dependencies (and devDependencies) resolve as in an app.
    const work = join(dir, '.readme-examples')
    rmSync(work, { recursive: true, force: true })
    mkdirSync(work, { recursive: true })
    for (const f of files) {
      // A module of its own (top-level await, no clashes between examples).
      writeFileSync(join(work, f.name), `${f.ex.code}\nexport {}\n`)
    }
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, include: files.map((f) => f.name) }, null, 2),
    )
    try {
      execFileSync(process.execPath, [tsc, '-p', join(work, 'tsconfig.json'), '--pretty', 'false'], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    } catch (err) {
      const output = `${err.stdout ?? ''}${err.stderr ?? ''}`
      for (const line of output.split('\n')) {
        const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line)
        if (!m) {
          if (line.trim()) problems.push(`${relative(root, dir)}: ${line.trim()}`)
          continue
        }
        const file = files.find((f) => m[1].endsWith(f.name))
        if (!file) {
          problems.push(line)
          continue
        }
        const [readme, start] = file.where.split(':')
        problems.push(`${readme}:${Number(start) + Number(m[2]) - 1}: ${m[4]}`)
      }
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }
  if (problems.length > 0) {
    console.error(`\n${problems.length} problem(s) in README examples:`)
    for (const p of problems) console.error(`  ${p}`)
    process.exit(1)
  }
  console.log('readme examples: all type-check')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
