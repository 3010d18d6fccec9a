-- Headless Neovim (0.7.2+) with the helper from editors/nvim: :ChatLSAttach / :ChatLSAttachments before a
-- question, then :ChatLSAgent on a small project whose model (the emulator's tool script) lists, reads,
-- searches and proposes one multi-file edit; the server asks through window/showMessageRequest, which the
-- helper answers with vim.fn.confirm — here answered with plan.agent.answer as a user would click it.
-- Run by tests/editors/test_agent_editors.py; observes only (see e2e.lua).
local E = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/e2e.lua")
local plan, obs = E.plan, E.obs

vim.cmd("filetype on")

local function disk(rel)
  local path = plan.workspace .. "/" .. rel
  if vim.fn.filereadable(path) == 0 then return vim.NIL end
  return table.concat(vim.fn.readfile(path, "b"), "\n")
end

local ok, err = pcall(function()
  E.record_messages()
  for rel, text in pairs(plan.agent.files) do
    local path = plan.workspace .. "/" .. rel
    vim.fn.mkdir(vim.fn.fnamemodify(path, ":h"), "p")
    vim.fn.writefile(vim.split(text, "\n", { plain = true }), path, "b")
  end
  vim.opt.runtimepath:append(plan.pluginDir)
  local chatls = require("chatls")
  plan.initOptions.agentRunCommands = true -- the command step asks before running one
  chatls.setup({ cmd = plan.serverCmd, init_options = plan.initOptions })

  local asked = {} -- where the questions go: the agent step's are obs.asked, the command step's its own
  obs.asked = asked
  local answer = plan.agent.answer -- what the user clicks; the command step answers with commandAnswer
  vim.fn.confirm = function(message, choices)
    local labels = vim.split(choices, "\n", { plain = true })
    table.insert(asked, { message = message, choices = labels })
    for i, label in ipairs(labels) do
      if label:gsub("&", "") == answer then return i end
    end
    return 0
  end

  local function wait_result()
    E.wait(function() return chatls.last_result ~= nil end, 20)
    local result = chatls.last_result
    chatls.last_result = nil
    return result
  end

  E.step("start", function()
    E.open(plan.files.chat) -- at the workspace's top: the project root
    obs.initialized = E.wait(function()
      local client = chatls.client()
      return client ~= nil and client.initialized
    end, 20)
  end)
  if not obs.initialized then error("the helper did not start an initialized client") end

  E.step("attach", function()
    vim.cmd("ChatLSAttach buffer")
    vim.cmd("1,1ChatLSAttach range")
    local before = #E.shown
    vim.cmd("ChatLSAttachments")
    obs.attachmentsShown = E.shown_since(before)
    vim.cmd("ChatLS " .. plan.agent.attachPrompt)
    obs.attachResult = wait_result()
    obs.attachmentsAfter = #chatls.attachments
  end)

  E.step("agent", function()
    chatls.new_conversation()
    chatls.steps = {}
    vim.cmd("ChatLSAgent " .. plan.agent.prompt)
    obs.agentResult = wait_result()
    obs.steps = chatls.steps
    obs.transcript = E.buffer_text(chatls.transcript_buffer())
    obs.disk = {}
    for rel in pairs(plan.agent.files) do obs.disk[rel] = disk(rel) end
    obs.modifiedBuffers = {}
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.api.nvim_buf_get_option(buf, "modified") then
        table.insert(obs.modifiedBuffers, vim.api.nvim_buf_get_name(buf))
      end
    end
  end)

  E.step("command", function()
    chatls.new_conversation()
    chatls.steps = {}
    asked, answer = {}, plan.agent.commandAnswer
    vim.cmd("ChatLSAgent " .. plan.agent.commandPrompt)
    obs.commandResult = wait_result()
    obs.commandAsked = {}
    for _, q in ipairs(asked) do
      local choices = {}
      for _, label in ipairs(q.choices) do table.insert(choices, (label:gsub("&", ""))) end
      table.insert(obs.commandAsked, { prompt = q.message, choices = choices })
    end
    obs.commandSteps = chatls.steps
    obs.commandTranscript = E.buffer_text(chatls.transcript_buffer())
  end)
end)

E.finish(ok, err)
