-- Headless Neovim with the helper and no `cmd` configured: where does it find the server?
-- 1. A project with no .venv, and no `chatls` on PATH (the test runs Neovim with a bare PATH): the user is
--    told once, in one line, what to set, however many files they open; :ChatLS repeats the reason.
-- 2. A project with .venv/bin/chatls: the helper starts that one.
-- Run by tests/editors/test_editors.py; observes only (see e2e.lua).
local E = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/e2e.lua")
local plan, obs = E.plan, E.obs

vim.cmd("filetype on")

local function project(name, with_venv)
  local root = plan.workspace .. "/" .. name
  vim.fn.mkdir(root .. "/.git", "p")
  local file = root .. "/main.py"
  vim.fn.writefile({ "print('hi')" }, file)
  local other = root .. "/other.py"
  vim.fn.writefile({ "x = 1" }, other)
  if with_venv then
    vim.fn.mkdir(root .. "/.venv/bin", "p")
    local shim = root .. "/.venv/bin/chatls"
    local python = plan.serverCmd[1]
    vim.fn.writefile({ "#!/bin/sh", ("exec '%s' -m chatls \"$@\""):format(python) }, shim)
    vim.fn.setfperm(shim, "rwxr-xr-x")
  end
  return root, file, other
end

local ok, err = pcall(function()
  E.record_messages()
  vim.opt.runtimepath:append(plan.pluginDir)
  local chatls = require("chatls")
  chatls.setup({ init_options = plan.initOptions })

  E.step("missing", function()
    local _, file, other = project("bare", false)
    local shown = #E.shown
    E.open(file)
    E.open(other)
    E.open(file)
    obs.missingShown = E.shown_since(shown)
    obs.missingClient = chatls.client() ~= nil
    local before = #E.shown
    -- An error-level message inside a command is raised as that command's error, as Neovim shows it.
    local _, raised = pcall(vim.cmd, "ChatLS hello")
    obs.chatWithoutServerShown = E.shown_since(before)
    if raised then table.insert(obs.chatWithoutServerShown, tostring(raised)) end
  end)

  E.step("venv", function()
    local root, file = project("withvenv", true)
    E.open(file)
    local client
    obs.venvInitialized = E.wait(function()
      client = chatls.client()
      return client ~= nil and client.initialized
    end)
    obs.venvCmd = client and client.config.cmd or {}
    obs.venvShim = root .. "/.venv/bin/chatls"
  end)
end)
E.finish(ok, err)
