// Reads the "Use it in your own project" section of README.md, so that the
// package test does what the README says and the README cannot drift from it.
import { readFileSync } from "node:fs";

export const readmeSectionTitle = "## Use it in your own project";

/** A fenced block of the README section: its info string and its lines. */
export interface ReadmeBlock {
  lang: string;
  text: string;
  /** Shell blocks only: the command lines, `# comments` and blank lines removed. */
  commands: string[];
  /** Shell blocks only: the comment after each command, "" when there is none. */
  comments: string[];
}

export interface ReadmeProject {
  /** Files to write: each block whose first line is a comment naming a path, verbatim. */
  files: Map<string, string>;
  /** The shell blocks, in order. */
  shell: ReadmeBlock[];
}

/** The fenced blocks between the section's heading and the next `## ` heading. */
export function readReadmeProject(readmePath: string): ReadmeProject {
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf(`\n${readmeSectionTitle}\n`);
  if (start < 0) throw new Error(`README.md has no "${readmeSectionTitle}" section`);
  const rest = readme.slice(start + readmeSectionTitle.length + 2);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);

  const files = new Map<string, string>();
  const shell: ReadmeBlock[] = [];
  for (const m of section.matchAll(/^```([\w-]*)\n([\s\S]*?)^```$/gm)) {
    const lang = m[1]!;
    const text = m[2]!;
    if (lang === "sh") {
      const commands: string[] = [];
      const comments: string[] = [];
      for (const line of text.split("\n")) {
        const [command = "", ...comment] = line.split(/\s+#\s?/);
        if (command.trim() === "" || command.trimStart().startsWith("#")) continue;
        commands.push(command.trim());
        comments.push(comment.join(" # ").trim());
      }
      shell.push({ lang, text, commands, comments });
      continue;
    }
    const named = /^(?:#|\/\/) ([\w./-]+\.\w+)\n/.exec(text);
    if (named) {
      const path = named[1]!;
      if (files.has(path)) throw new Error(`README.md shows ${path} twice`);
      files.set(path, text);
    }
  }
  return { files, shell };
}

/** The shell block that contains `command`, or an error naming what is missing. */
export function blockWith(project: ReadmeProject, command: string): ReadmeBlock {
  const block = project.shell.find((b) => b.commands.some((c) => c === command || c.split(" && ").includes(command)));
  if (!block) throw new Error(`README.md's "${readmeSectionTitle}" shows no \`${command}\``);
  return block;
}

/** Splits a shell line into words; the README's commands use no quotes. */
export function words(command: string): string[] {
  if (/['"`$\\|;<>]/.test(command)) throw new Error(`README command is not plain words: ${command}`);
  return command.split(/\s+/).filter(Boolean);
}
