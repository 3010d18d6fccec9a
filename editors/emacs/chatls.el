;;; chatls.el --- ChatLS chat and code actions through eglot  -*- lexical-binding: t -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, convenience

;;; Commentary:

;; ChatLS is a language server; eglot already gives you its code actions (M-x eglot-code-actions: Explain,
;; Fix, Improve, ...).  This file adds what LSP has no UI for:
;;
;;  - `chatls-chat' (with an active region: about that code) sends `chatls/chat'; the reply streams into the
;;    *chatls* buffer as `chatls/delta' notifications arrive.  Replies continue the same conversation until
;;    `chatls-new-conversation'.
;;  - `chatls-cancel' (C-c C-k in *chatls*) stops the reply or code action in progress, upstream too (the
;;    server keeps the partial text, marked cancelled).
;;  - Code actions run asynchronously: no request timeout (reasoning models think for minutes), Emacs stays
;;    usable, and their text streams into *chatls* as it arrives.
;;  - An edit a code action proposes opens in a review buffer showing its diff: C-c C-c applies it,
;;    C-c C-k discards it; other keys do nothing there, so nothing typed meanwhile lands in your code.
;;    (Only when `eglot-confirm-server-initiated-edits' asks for confirmation, as it does by default.)
;;  - "Edit with instruction" asks for the instruction in the minibuffer before the server runs it.
;;  - Reasoning summaries stream into a "Thinking" section before the answer.
;;  - Grounded (On Your Data) answers end with their numbered references; `chatls-open-conversation'
;;    shows a stored conversation (references included) and continues it.
;;
;; Setup (see docs/editors.md):
;;   (add-to-list 'load-path "/path/to/chatls/editors/emacs")
;;   (require 'chatls)
;;   (add-to-list 'eglot-server-programs
;;                `(python-mode . ("/path/to/venv/bin/chatls" "serve"
;;                                 :initializationOptions ,my-chatls-settings)))

;;; Code:

(require 'eglot)
(require 'jsonrpc)
(require 'cl-lib)
(require 'seq)
(require 'diff)
(require 'diff-mode)

(defgroup chatls nil "ChatLS through eglot." :group 'tools)

(defcustom chatls-request-timeout nil
  "Seconds to wait for a chat reply or code action; nil waits as long as it takes.
Reasoning models can think for minutes; `chatls-cancel' stops a reply at any
time."
  :type '(choice (const :tag "No limit" nil) integer))

(defvar chatls-conversation-id nil "The conversation `chatls-chat' continues (the latest one seen).")
(defvar chatls-last-result nil "Result of the last chat or ChatLS code-action command, as a plist.")
(defvar chatls-last-message-id nil "Id of the reply that streamed last.")
(defvar chatls-status nil
  "Status of the reply in progress, such as \"thinking 12 s\".
nil once the reply's text flows or the turn ends.  For the mode line:
  (add-to-list \='mode-line-misc-info
               \='(chatls-status (\" ChatLS: \" chatls-status \" \")))")
(defvar chatls--replies (make-hash-table :test #'equal) "Message id -> reply text streamed so far.")
(defvar chatls--pending nil "(SERVER . REQUEST-ID) of the chat or code action in flight.")
(defvar chatls--streaming-message nil "Message id the end of *chatls* belongs to.")
(defvar chatls--section nil
  "What the end of *chatls* shows of the streaming message: `thinking' or `answer'.")
(defconst chatls--request-cancelled -32800 "JSON-RPC error code of a request the client cancelled.")

(defconst chatls--action-commands
  '(chatls.explain chatls.fix chatls.improve chatls.document chatls.generateTests chatls.askInChat
    chatls.editSelection)
  "Code-action commands the server runs; their results are shown here.")

;;;; Transcript

(defvar chatls-transcript-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-k") #'chatls-cancel)
    (define-key map [remap keyboard-quit] #'chatls-cancel-or-quit)
    map)
  "Keys of the *chatls* buffer (on top of its major mode's).")

(defun chatls-cancel-or-quit ()
  "Stop the reply in progress; with none, quit as usual.
Bound to \\[keyboard-quit] in *chatls*."
  (interactive)
  (unless (chatls-cancel) (keyboard-quit)))

(define-minor-mode chatls-transcript-mode
  "Minor mode of the *chatls* buffer.
\\<chatls-transcript-map>\\[chatls-cancel] (or \\[chatls-cancel-or-quit]) stops the reply in progress."
  :keymap chatls-transcript-map)

(defun chatls-transcript-buffer ()
  "The *chatls* buffer, created on first use."
  (or (get-buffer "*chatls*")
      (with-current-buffer (get-buffer-create "*chatls*")
        (when (fboundp 'markdown-mode) (markdown-mode))
        (chatls-transcript-mode 1)
        (current-buffer))))

(defun chatls--append (text)
  "Append TEXT to *chatls*.
Windows whose point was at the end keep following the output."
  (with-current-buffer (chatls-transcript-buffer)
    (let* ((inhibit-read-only t)
           (end (point-max))
           (following (cl-remove-if-not (lambda (w) (>= (window-point w) end))
                                        (get-buffer-window-list (current-buffer) nil t)))
           (point-at-end (>= (point) end)))
      (save-excursion
        (goto-char end)
        (insert text))
      (when point-at-end (goto-char (point-max)))
      (dolist (window following)
        (set-window-point window (point-max))))))

(defun chatls--start-section (title)
  "Start a section TITLE in *chatls* and show the buffer."
  (let ((buffer (chatls-transcript-buffer)))
    (chatls--append (format "%s## %s\n\n" (if (zerop (buffer-size buffer)) "" "\n\n") title))
    (unless (get-buffer-window buffer)
      (let ((window (display-buffer buffer)))
        (when window (set-window-point window (with-current-buffer buffer (point-max))))))))

(defun chatls-reply-text (message-id)
  "Text streamed so far for the reply MESSAGE-ID."
  (gethash message-id chatls--replies))

;;;; References (On Your Data)

(defun chatls--cited (citation key)
  "Field KEY of CITATION (a plist), nil when null or empty."
  (let ((value (plist-get citation key)))
    (and (stringp value) (not (string-empty-p value)) value)))

(defun chatls-reference-line (number citation)
  "`[1] policy.md (chunk 0) — https://…': what `[doc1]' in a grounded answer points to.
NUMBER counts from 1; CITATION is a plist with :title :url :filepath :chunkId."
  (let* ((title (chatls--cited citation :title))
         (url (chatls--cited citation :url))
         (filepath (chatls--cited citation :filepath))
         (chunk (chatls--cited citation :chunkId))
         (label (or title filepath url "(untitled source)"))
         (where (cond ((and url (not (equal url label))) url)
                      ((and filepath (not (equal filepath label))) filepath))))
    (concat (format "[%d] %s" number label)
            (if chunk (format " (chunk %s)" chunk) "")
            (if where (concat " — " where) ""))))

(defun chatls--references (citations)
  "The numbered reference list shown after a grounded answer, or \"\" for no CITATIONS."
  (if (zerop (length citations))
      ""
    (let ((number 0))
      (concat "\n\nReferences:"
              (mapconcat (lambda (citation)
                           (setq number (1+ number))
                           (concat "\n" (chatls-reference-line number citation)))
                         citations "")))))

;;;; Server -> client

(defun chatls--set-status (status)
  "Show STATUS in the echo area and the mode line; nil clears it.
The first status comes as soon as the question is stored (\"waiting for
gpt-4o\"), later ones while the model is not writing (\"thinking 12 s\").
Once text flows or the turn ends, the status is cleared."
  (unless (equal status chatls-status)
    (setq chatls-status status)
    (if status (message "ChatLS: %s" status) (message nil))
    (force-mode-line-update t)))

(defvar chatls--thoughts (make-hash-table :test #'equal) "Message id -> reasoning summary streamed so far.")

(defun chatls--enter-section (message-id section)
  "Make the end of *chatls* show SECTION of MESSAGE-ID, starting it if needed.
SECTION is `thinking' (the reasoning summary) or `answer'."
  (unless (and (equal chatls--streaming-message message-id) (eq chatls--section section))
    (when (or (not (equal chatls--streaming-message message-id)) (eq section 'thinking))
      (chatls--start-section "ChatLS"))
    (when (eq section 'thinking) (chatls--append "### Thinking\n\n"))
    (when (and (eq section 'answer) (eq chatls--section 'thinking)
               (equal chatls--streaming-message message-id))
      (chatls--append "\n\n---\n\n"))
    (setq chatls--streaming-message message-id chatls--section section)))

(defvar chatls-steps nil "Agent tool steps seen, newest first: plists :index :phase :name :ok.")

(defun chatls--show-step (message-id step)
  "Show the agent tool STEP (a plist) of MESSAGE-ID as a line of its own in *chatls*."
  (chatls--enter-section message-id 'answer)
  (let* ((phase (plist-get step :phase))
         (ok (not (eq (plist-get step :ok) :json-false)))
         (mark (cond ((equal phase "started") "…") (ok "✓") (t "✗"))))
    (with-current-buffer (chatls-transcript-buffer)
      (unless (bolp) (chatls--append "\n")))
    (chatls--append (format "> %s step %s %s: %s\n" mark (plist-get step :index) phase
                            (or (plist-get step :summary) (plist-get step :name))))
    (push (list :index (plist-get step :index) :phase phase :name (plist-get step :name)
                :ok (if ok t :json-false))
          chatls-steps)))

(cl-defmethod eglot-handle-notification
  (_server (_method (eql chatls/delta)) &key conversationId messageId content status reasoning step
           &allow-other-keys)
  "Show a streamed piece of a reply in *chatls*.
That is its status, an agent step, its reasoning summary or its text."
  (when conversationId (setq chatls-conversation-id conversationId))
  (when step (chatls--show-step messageId step))
  (when (stringp status) (chatls--set-status status))
  (when (and (stringp reasoning) (not (string-empty-p reasoning)))
    (chatls--enter-section messageId 'thinking)
    (puthash messageId (concat (gethash messageId chatls--thoughts "") reasoning) chatls--thoughts)
    (chatls--append reasoning))
  (when (and (stringp content) (not (string-empty-p content)))
    (chatls--set-status nil)
    (chatls--enter-section messageId 'answer)
    (setq chatls-last-message-id messageId)
    (puthash messageId (concat (gethash messageId chatls--replies "") content) chatls--replies)
    (chatls--append content)))

(defun chatls-reasoning-text (message-id)
  "Reasoning summary streamed so far for the reply MESSAGE-ID."
  (gethash message-id chatls--thoughts))

(defun chatls--error-text (err)
  "A readable line for the JSON-RPC error ERR (a plist, :code and :message)."
  (if (equal (plist-get err :code) chatls--request-cancelled)
      "Cancelled; the server keeps the partial reply."
    (or (plist-get err :message) "The request failed.")))

;;;; Chat

(defun chatls--server ()
  (or (eglot-current-server) (user-error "ChatLS: no eglot server for this buffer (M-x eglot first)")))

(defun chatls--region-context (beg end)
  (list :uri (eglot--path-to-uri (buffer-file-name))
        :range (list :start (eglot--pos-to-lsp-position beg) :end (eglot--pos-to-lsp-position end))))

;;;; Attachments

(defvar chatls-attachments nil
  "Context items (docs/protocol.md, \"Context items\") sent with the next question, in order.")

(defun chatls--describe (item)
  "ITEM (a context item plist) in words."
  (let ((name (and (plist-get item :uri) (file-relative-name (eglot--uri-to-path (plist-get item :uri))))))
    (pcase (plist-get item :kind)
      ("range" (format "lines %d-%d of %s"
                       (1+ (plist-get (plist-get (plist-get item :range) :start) :line))
                       (1+ (plist-get (plist-get (plist-get item :range) :end) :line)) name))
      ("problems" (format "problems in %s (%d)" name (length (plist-get item :diagnostics))))
      ("diff" (if (plist-get item :staged) "git diff (staged)" "git diff (working tree)"))
      (kind (format "%s %s" kind name)))))

(defun chatls--attach (item)
  "Add ITEM to `chatls-attachments' and say so."
  (setq chatls-attachments (append chatls-attachments (list item)))
  (message "ChatLS: attached %s (%d for the next question)" (chatls--describe item) (length chatls-attachments))
  item)

(defun chatls--file-uri ()
  (eglot--path-to-uri (or (buffer-file-name) (user-error "ChatLS: this buffer has no file"))))

(defun chatls-attach-buffer ()
  "Attach the current buffer's file to the next question."
  (interactive)
  (chatls--attach (list :kind "file" :uri (chatls--file-uri))))

(defun chatls-attach-region (beg end)
  "Attach the lines of the region (BEG END) to the next question."
  (interactive "r")
  (chatls--attach (list :kind "range" :uri (chatls--file-uri)
                        :range (list :start (eglot--pos-to-lsp-position beg)
                                     :end (eglot--pos-to-lsp-position end)))))

(defun chatls-attach-problems ()
  "Attach the current buffer's problems (its flymake diagnostics) to the next question."
  (interactive)
  (let ((diagnostics
         (mapcar (lambda (d)
                   (list :range (list :start (eglot--pos-to-lsp-position (flymake-diagnostic-beg d))
                                      :end (eglot--pos-to-lsp-position (flymake-diagnostic-end d)))
                         :message (flymake-diagnostic-text d)
                         :severity (pcase (flymake-diagnostic-type d)
                                     ((or 'eglot-error :error) 1) ((or 'eglot-warning :warning) 2) (_ 3))))
                 (and (bound-and-true-p flymake-mode) (flymake-diagnostics)))))
    (chatls--attach (list :kind "problems" :uri (chatls--file-uri) :diagnostics (vconcat diagnostics)))))

(defun chatls-attach-diff (&optional staged)
  "Attach the project's git diff to the next question; with a prefix argument (STAGED), the staged one."
  (interactive "P")
  (chatls--attach (append (list :kind "diff") (and staged (list :staged t)))))

(defun chatls-attachments (&optional clear)
  "Show what is attached to the next question; with a prefix argument (CLEAR), remove it all."
  (interactive "P")
  (if clear
      (progn (setq chatls-attachments nil) (message "ChatLS: attachments cleared"))
    (message "ChatLS: %s" (if chatls-attachments
                              (mapconcat #'chatls--describe chatls-attachments "; ")
                            "nothing attached"))))

;;;###autoload
(defun chatls-agent (prompt)
  "Send PROMPT to ChatLS in agent mode: it may read the project and propose edits.
Each tool step is a line in *chatls*; commands and edits are asked about first."
  (interactive (list (read-string "ChatLS agent: ")))
  (let ((root (project-root (eglot--project (chatls--server)))))
    (chatls-chat prompt nil nil nil (list :mode "agent" :workspaceUri (eglot--path-to-uri (expand-file-name root))))))

;;;###autoload
(defun chatls-chat (prompt &optional beg end profile extra)
  "Send PROMPT to ChatLS; with a region (BEG END), about that code.
PROFILE names a profile other than the default; EXTRA is a plist of more params.
What `chatls-attachments' holds is sent along, then cleared.
The reply streams into *chatls*."
  (interactive
   (list (read-string "ChatLS: ")
         (and (use-region-p) (region-beginning))
         (and (use-region-p) (region-end))))
  (let* ((server (chatls--server))
         (params (append (list :prompt prompt)
                         (and chatls-conversation-id (list :conversationId chatls-conversation-id))
                         (and profile (list :profile profile))
                         (and beg end (list :context (chatls--region-context beg end)))
                         (and chatls-attachments (list :attachments (vconcat chatls-attachments)))
                         extra))
         (attached chatls-attachments))
    (setq chatls-attachments nil)
    (chatls--start-section (if (plist-get extra :mode) "You (agent)" "You"))
    (chatls--append prompt)
    (dolist (item attached) (chatls--append (concat "\n- attached: " (chatls--describe item))))
    (setq chatls--streaming-message nil chatls--section nil)
    (chatls--send server :chatls/chat params
                  (lambda (result)
                    (setq chatls-last-result result
                          chatls-conversation-id (plist-get result :conversationId))
                    (chatls--append (chatls--references (plist-get result :citations)))
                    (chatls--append (format "\n\n_%s · %s_" (plist-get result :model)
                                            (or (plist-get result :stopReason)
                                                (plist-get result :finishReason))))))))

(defun chatls--send (server method params on-result)
  "Send METHOD with PARAMS to SERVER without blocking; ON-RESULT gets the result.
Errors (a cancel included) are shown in words in *chatls* and the echo area.
Returns the request id."
  ;; jsonrpc 1.0.14's public async call returns nil; the internal one returns (ID TIMER), and the id is
  ;; what `$/cancelRequest' needs.  `:timeout' nil means no timer at all.
  (let ((id (car (jsonrpc--async-request-1
                  server method params
                  :timeout chatls-request-timeout
                  :success-fn (lambda (result)
                                (chatls--set-status nil)
                                (setq chatls--pending nil)
                                (funcall on-result result))
                  :error-fn (lambda (err)
                              (chatls--set-status nil)
                              (setq chatls--pending nil)
                              (let ((text (chatls--error-text err)))
                                (chatls--append (format "\n\n_%s_" text))
                                (message "ChatLS: %s" text)))
                  :timeout-fn (lambda ()
                                (chatls--set-status nil)
                                (setq chatls--pending nil)
                                (chatls--append "\n\n_No answer within `chatls-request-timeout'._"))))))
    (setq chatls--pending (cons server id))
    id))

(defun chatls-cancel ()
  "Stop the reply or code action in progress, upstream too.
The server keeps the partial reply, marked cancelled."
  (interactive)
  (when chatls--pending
    (jsonrpc-notify (car chatls--pending) :$/cancelRequest (list :id (cdr chatls--pending)))
    (setq chatls--pending nil)
    (chatls--set-status nil) ; the server's answer to the cancel then says so in words
    t))

(defun chatls-new-conversation ()
  "Make the next `chatls-chat' start a new conversation."
  (interactive)
  (setq chatls-conversation-id nil chatls--streaming-message nil chatls--section nil))

(defun chatls--pick-conversation ()
  "A conversation of the current project, picked by title in the minibuffer."
  (let* ((server (chatls--server))
         (root (project-root (eglot--project server)))
         (listed (jsonrpc-request server :chatls/conversations
                                  (list :workspaceUri (eglot--path-to-uri (expand-file-name root)))))
         (choices (mapcar (lambda (c) (cons (format "%s (%s)" (plist-get c :title) (plist-get c :updatedAt))
                                            (plist-get c :id)))
                          listed)))
    (unless choices (user-error "ChatLS: no conversations in this project yet"))
    (cdr (assoc (completing-read "ChatLS conversation: " choices nil t) choices))))

(defun chatls-open-conversation (conversation-id)
  "Show the stored conversation CONVERSATION-ID in *chatls*; the next `chatls-chat' continues it.
Interactively, pick one of the project's conversations.  Grounded replies show their references."
  (interactive (list (chatls--pick-conversation)))
  (let ((result (jsonrpc-request (chatls--server) :chatls/conversation
                                 (list :conversationId conversation-id))))
    (with-current-buffer (chatls-transcript-buffer)
      (let ((inhibit-read-only t)) (erase-buffer)))
    (chatls--append (concat "# " (or (plist-get result :title) "Conversation")))
    (seq-doseq (message (plist-get result :messages))
      (let ((status (plist-get message :status))
            (reasoning (plist-get message :reasoning)))
        (chatls--start-section (if (equal (plist-get message :role) "user") "You" "ChatLS"))
        (when (and (stringp reasoning) (not (string-empty-p reasoning)))
          (chatls--append (concat "### Thinking\n\n" reasoning "\n\n---\n\n")))
        (chatls--append (or (plist-get message :content) ""))
        (chatls--append (chatls--references (plist-get message :citations)))
        (when (and status (not (equal status "complete")))
          (chatls--append (format "\n\n_(%s)_" status)))))
    (setq chatls-conversation-id (or (plist-get result :id) conversation-id)
          chatls--streaming-message nil chatls--section nil)
    result))

;;;; Code-action commands

(defun chatls--action-command-p (name)
  "Whether NAME (a string or symbol) is one of the server's code-action commands."
  (memq (intern (format "%s" name)) chatls--action-commands))

(defun chatls--complete-arguments (name arguments)
  "ARGUMENTS of command NAME, with the edit instruction asked for if missing."
  (if (and (equal (format "%s" name) "chatls.editSelection")
           (> (length arguments) 0)
           (not (plist-get (aref arguments 0) :instruction)))
      (let ((instruction (read-string "ChatLS: edit instruction: ")))
        (vconcat (list (plist-put (copy-sequence (aref arguments 0)) :instruction instruction))
                 (cl-subseq arguments 1)))
    arguments))

(defun chatls--note-result (result)
  "Keep a code-action command's RESULT.
When an edit was not applied, the server itself says why (window/showMessage,
which eglot echoes), so the result's :reason is not repeated here."
  (chatls--set-status nil)
  (setq chatls-last-result result)
  (when-let ((id (plist-get result :conversationId))) (setq chatls-conversation-id id))
  result)

(defun chatls--run-command (server command arguments)
  "Run ChatLS's COMMAND with ARGUMENTS on SERVER asynchronously.
The result lands in `chatls-last-result'.  eglot would wait for it with a 10 s
timeout and a frozen Emacs; a reasoning model needs minutes."
  (setq chatls--streaming-message nil chatls--section nil)
  (chatls--send server :workspace/executeCommand
                (list :command (format "%s" command)
                      :arguments (chatls--complete-arguments command arguments))
                #'chatls--note-result)
  nil)

;; eglot up to Emacs 29 runs a code action's command through `eglot-execute-command'.
(cl-defmethod eglot-execute-command :around (server command arguments)
  "Run ChatLS commands asynchronously.
chatls.editSelection asks for its instruction first."
  (if (chatls--action-command-p command)
      (chatls--run-command server command arguments)
    (cl-call-next-method)))

;; Emacs 30's eglot runs it through `eglot-execute' with the CodeAction or Command object instead.
;; (Only eglot 1.9 is tested here; this follows the newer generic's documented contract.)
(when (and (fboundp 'eglot-execute) (cl-generic-p 'eglot-execute))
  (cl-defmethod eglot-execute :around (server action)
    "Run ChatLS commands asynchronously.
chatls.editSelection asks for its instruction first."
    (let ((command (plist-get action :command)))
      (cond ((and (stringp command) (chatls--action-command-p command)) ; a Command
             (chatls--run-command server command (plist-get action :arguments)))
            ((and (consp command) (chatls--action-command-p (plist-get command :command)) ; a CodeAction
                  (not (plist-get action :edit)))
             (chatls--run-command server (plist-get command :command) (plist-get command :arguments)))
            (t (cl-call-next-method))))))

;;;; Reviewing a proposed edit

(defvar-local chatls--review nil
  "(CONNECTION REQUEST-ID EDIT) of the workspace/applyEdit request answered here.")

(defvar chatls-review-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-c") #'chatls-review-accept)
    (define-key map (kbd "C-c C-k") #'chatls-review-discard)
    ;; special-mode leaves letters `undefined' and lets q bury the buffer: here they all say which keys
    ;; answer, so neither a typed letter nor a habit hides an unanswered review.
    (define-key map [remap undefined] #'chatls-review-help)
    (define-key map [remap self-insert-command] #'chatls-review-help)
    (define-key map (kbd "RET") #'chatls-review-help)
    (define-key map (kbd "q") #'chatls-review-help)
    (define-key map (kbd "g") #'chatls-review-help)
    map)
  "Keys of a ChatLS review buffer: only explicit chords accept or discard.")

(define-derived-mode chatls-review-mode special-mode "ChatLS-Review"
  "A change ChatLS proposes, as a diff.
\\<chatls-review-mode-map>\\[chatls-review-accept] applies it, \\[chatls-review-discard] discards it.
Typed letters do nothing here, so text meant for your code can never
answer the review."
  (setq-local font-lock-defaults '(chatls--review-font-lock t))
  (add-hook 'kill-buffer-hook #'chatls--review-killed nil t))

(defconst chatls--review-font-lock
  '(("^\\(?:\\+\\+\\+\\|---\\) .*" . 'diff-file-header)
    ("^@@.*" . 'diff-hunk-header)
    ("^\\+.*" . 'diff-added)
    ("^-.*" . 'diff-removed)))

(defun chatls--edit-documents (edit)
  "The documents EDIT (a WorkspaceEdit) changes.
A list of (PATH TEXT-EDITS VERSION)."
  (let ((documents nil) (document-changes (plist-get edit :documentChanges)))
    (mapc (lambda (change)
            (let ((document (plist-get change :textDocument)))
              (when document
                (push (list (eglot--uri-to-path (plist-get document :uri)) (plist-get change :edits)
                            (plist-get document :version))
                      documents))))
          document-changes)
    (unless document-changes
      (cl-loop for (uri edits) on (plist-get edit :changes) by #'cddr
               do (push (list (eglot--uri-to-path (format "%s" uri)) edits nil) documents)))
    (nreverse documents)))

(defun chatls--current-text (path)
  "PATH's text as Emacs has it: its buffer's, else the file's, else empty."
  (let ((buffer (find-buffer-visiting path)))
    (cond (buffer (with-current-buffer buffer (buffer-substring-no-properties (point-min) (point-max))))
          ((file-exists-p path) (with-temp-buffer (insert-file-contents path) (buffer-string)))
          (t ""))))

(defun chatls--edited-text (text edits)
  "TEXT with the LSP text EDITS applied (their positions refer to TEXT)."
  (with-temp-buffer
    (insert text)
    (let ((spans (mapcar (lambda (edit)
                           (let ((range (plist-get edit :range)))
                             (list (copy-marker (eglot--lsp-position-to-point (plist-get range :start)))
                                   (copy-marker (eglot--lsp-position-to-point (plist-get range :end)) t)
                                   (plist-get edit :newText))))
                         edits)))
      (dolist (span spans)
        (pcase-let ((`(,beg ,end ,new-text) span))
          (goto-char beg)
          (delete-region beg end)
          (insert new-text))))
    (buffer-string)))

(defun chatls--unified-diff (path old new)
  "A unified diff of OLD and NEW, labelled with PATH."
  (let ((old-file (make-temp-file "chatls-old")) (new-file (make-temp-file "chatls-new")))
    (unwind-protect
        (progn
          (with-temp-file old-file (insert old))
          (with-temp-file new-file (insert new))
          (with-temp-buffer
            (call-process diff-command nil t nil "-u" "--label" (concat "a/" path) "--label"
                          (concat "b/" path) old-file new-file)
            (buffer-string)))
      (delete-file old-file)
      (delete-file new-file))))

(defun chatls--review-edit (connection id params)
  "Show the edit of workspace/applyEdit request ID (PARAMS) for review.
CONNECTION is answered once the user accepts or discards it."
  (let* ((edit (plist-get params :edit))
         (label (or (plist-get params :label) "ChatLS edit"))
         (buffer (generate-new-buffer (format "*%s*" label))))
    (with-current-buffer buffer
      (chatls-review-mode)
      (let ((inhibit-read-only t))
        (insert (substitute-command-keys
                 (format "%s: \\<chatls-review-mode-map>\\[chatls-review-accept] applies this change, \
\\[chatls-review-discard] discards it.\n\n" label)))
        (dolist (document (chatls--edit-documents edit))
          (pcase-let ((`(,path ,edits ,_version) document))
            (let ((old (chatls--current-text path)))
              (insert (chatls--unified-diff (file-relative-name path) old (chatls--edited-text old edits)))))))
      (goto-char (point-min))
      (setq chatls--review (list connection id edit)))
    (pop-to-buffer buffer)
    (message "ChatLS: review the change; C-c C-c applies it, C-c C-k discards it")))

(defun chatls--answer-review (applied &optional reason)
  "Answer the review of the current buffer, then close it.
APPLIED says whether the change was applied; REASON why not."
  (pcase-let ((`(,connection ,id ,_edit) chatls--review))
    (setq chatls--review nil)
    (jsonrpc--reply connection id
                    :result (if applied (list :applied t)
                              (append (list :applied :json-false)
                                      (and reason (list :failureReason reason)))))
    (quit-window t)))

(defun chatls-review-accept ()
  "Apply the change this buffer shows."
  (interactive)
  (unless chatls--review (user-error "ChatLS: this change was already answered"))
  (let ((edit (nth 2 chatls--review)) (failure nil))
    (condition-case err
        (dolist (document (chatls--edit-documents edit))
          (pcase-let ((`(,path ,edits ,version) document))
            (with-current-buffer (find-file-noselect path)
              (eglot--apply-text-edits edits version))))
      (error (setq failure (error-message-string err))))
    (chatls--answer-review (not failure) failure)
    (message (if failure (format "ChatLS: not applied: %s" failure) "ChatLS: change applied"))))

(defun chatls-review-discard ()
  "Discard the change this buffer shows."
  (interactive)
  (when chatls--review (chatls--answer-review nil))
  (message "ChatLS: change discarded"))

(defun chatls-review-help ()
  "Say which keys answer a review (typed text never does)."
  (interactive)
  (message "ChatLS: C-c C-c applies this change, C-c C-k discards it"))

(defun chatls--review-killed ()
  "A review buffer killed unanswered counts as discarded."
  (when chatls--review
    (pcase-let ((`(,connection ,id ,_edit) chatls--review))
      (setq chatls--review nil)
      (ignore-errors (jsonrpc--reply connection id :result (list :applied :json-false))))))

(defun chatls--edit-request-p (message)
  "Whether MESSAGE is a ChatLS workspace/applyEdit request to review."
  (and eglot-confirm-server-initiated-edits
       (plist-get message :id)
       (equal (plist-get message :method) "workspace/applyEdit")
       (string-prefix-p "ChatLS" (or (plist-get (plist-get message :params) :label) ""))))

(defun chatls--receive (receive connection message)
  "Around `jsonrpc-connection-receive', RECEIVE: review ChatLS edits first.
A ChatLS edit from CONNECTION (MESSAGE) is answered from its review buffer,
not at once: eglot would ask `y-or-n-p' inside the request, where a late
keystroke can land in the source buffer."
  (if (chatls--edit-request-p message)
      (progn
        (jsonrpc--log-event connection message 'server)
        (chatls--review-edit connection (plist-get message :id) (plist-get message :params)))
    (funcall receive connection message)))

(advice-add 'jsonrpc-connection-receive :around #'chatls--receive)

(defun chatls--edited-paths (edit)
  "The files the WorkspaceEdit EDIT (a plist) changes."
  (append (mapcar (lambda (change)
                    (let ((document (plist-get change :textDocument)))
                      (and document (eglot--uri-to-path (plist-get document :uri)))))
                  (plist-get edit :documentChanges))
          (let (paths)
            (cl-loop for (uri _edits) on (plist-get edit :changes) by #'cddr
                     do (push (eglot--uri-to-path (substring (symbol-name uri) 1)) paths))
            paths)))

(cl-defmethod eglot-handle-request :around
  (_server (_method (eql workspace/applyEdit)) &key label edit &allow-other-keys)
  "The agent's changes, once allowed and applied, are saved: the files change on disk."
  (let ((result (cl-call-next-method)))
    (when (and (string-prefix-p "ChatLS agent" (or label "")) (eq (plist-get result :applied) t))
      (dolist (path (delq nil (chatls--edited-paths edit)))
        (let ((buffer (find-buffer-visiting path)))
          (when (and buffer (buffer-modified-p buffer))
            (with-current-buffer buffer (save-buffer))))))
    result))

(provide 'chatls)
;;; chatls.el ends here
