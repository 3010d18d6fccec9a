-- Headless Neovim (0.7.2+) with the helper from editors/nvim against a profile grounded in On Your Data:
-- :ChatLS shows the answer and then its numbered references; the conversation reopened from the store
-- (:ChatLSConversations → load_conversation) shows them again. Run by test_citations_editors.py; observes only.
local E = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/e2e.lua")
local plan, obs = E.plan, E.obs

vim.cmd("filetype on")

local ok, err = pcall(function()
  vim.opt.runtimepath:append(plan.pluginDir)
  local chatls = require("chatls")
  chatls.setup({ cmd = plan.serverCmd, init_options = plan.initOptions })

  E.step("start", function()
    E.open(plan.files.chat)
    obs.initialized = E.wait(function()
      local client = chatls.client()
      return client ~= nil and client.initialized
    end, 20)
  end)
  if not obs.initialized then error("the helper did not start an initialized client") end

  E.step("chat", function()
    vim.cmd("ChatLS " .. plan.citations.prompt)
    E.wait(function() return chatls.last_result ~= nil end, 20)
    obs.result = chatls.last_result
    obs.transcript = E.buffer_text(chatls.transcript_buffer())
  end)

  E.step("reopen", function()
    local buf = chatls.transcript_buffer()
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
    local done = nil
    chatls.load_conversation(chatls.client(), obs.result.conversationId, function(result) done = result end)
    E.wait(function() return done ~= nil end, 20)
    obs.reopened = E.buffer_text(buf)
  end)
end)

E.finish(ok, err)
