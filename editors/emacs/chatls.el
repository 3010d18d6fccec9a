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
;;  - `chatls-cancel' stops the reply in progress (the server keeps the partial text, marked cancelled).
;;  - "Edit with instruction" asks for the instruction in the minibuffer before the server runs it.
;;  - Explain / Ask results stream into *chatls* too.
;;
;; Setup (see docs/editors.md):
;;   (add-to-list 'load-path "/path/to/chatls/editors/emacs")
;;   (require 'chatls)
;;   (add-to-list 'eglot-server-programs
;;                `(python-mode . ("chatls" "serve" :initializationOptions ,my-chatls-settings)))

;;; Code:

(require 'eglot)
(require 'jsonrpc)
(require 'cl-lib)

(defgroup chatls nil "ChatLS through eglot." :group 'tools)

(defcustom chatls-request-timeout 600
  "Seconds to wait for a chat reply before giving up.
Reasoning models can think for minutes."
  :type 'integer)

(defvar chatls-conversation-id nil "The conversation `chatls-chat' continues (the latest one seen).")
(defvar chatls-last-result nil "Result of the last chat or ChatLS code-action command, as a plist.")
(defvar chatls-last-message-id nil "Id of the reply that streamed last.")
(defvar chatls-status nil
  "Status of the reply in progress, such as \"thinking 12 s\".
nil once the reply's text flows or the turn ends.  For the mode line:
  (add-to-list \='mode-line-misc-info
               \='(chatls-status (\" ChatLS: \" chatls-status \" \")))")
(defvar chatls--replies (make-hash-table :test #'equal) "Message id -> reply text streamed so far.")
(defvar chatls--pending nil "(SERVER . REQUEST-ID) of the chat in flight.")
(defvar chatls--streaming-message nil "Message id the end of *chatls* belongs to.")

(defconst chatls--action-commands
  '(chatls.explain chatls.fix chatls.improve chatls.document chatls.generateTests chatls.askInChat
    chatls.editSelection)
  "Code-action commands the server runs; their results are shown here.")

;;;; Transcript

(defun chatls-transcript-buffer ()
  "The *chatls* buffer, created on first use."
  (or (get-buffer "*chatls*")
      (with-current-buffer (get-buffer-create "*chatls*")
        (when (fboundp 'markdown-mode) (markdown-mode))
        (current-buffer))))

(defun chatls--append (text)
  (with-current-buffer (chatls-transcript-buffer)
    (let ((inhibit-read-only t))
      (save-excursion
        (goto-char (point-max))
        (insert text)))))

(defun chatls--start-section (title)
  (let ((buffer (chatls-transcript-buffer)))
    (chatls--append (format "%s## %s\n\n" (if (zerop (buffer-size buffer)) "" "\n\n") title))
    (unless (get-buffer-window buffer) (display-buffer buffer))))

(defun chatls-reply-text (message-id)
  "Text streamed so far for the reply MESSAGE-ID."
  (gethash message-id chatls--replies))

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

(cl-defmethod eglot-handle-notification
  (_server (_method (eql chatls/delta)) &key conversationId messageId content status &allow-other-keys)
  "Show a streamed piece of a reply in *chatls*."
  (when conversationId (setq chatls-conversation-id conversationId))
  (when (stringp status) (chatls--set-status status))
  (when (and (stringp content) (not (string-empty-p content)))
    (chatls--set-status nil)
    (unless (equal chatls--streaming-message messageId)
      (setq chatls--streaming-message messageId)
      (chatls--start-section "ChatLS"))
    (setq chatls-last-message-id messageId)
    (puthash messageId (concat (gethash messageId chatls--replies "") content) chatls--replies)
    (chatls--append content)))

;;;; Chat

(defun chatls--server ()
  (or (eglot-current-server) (user-error "ChatLS: no eglot server for this buffer (M-x eglot first)")))

(defun chatls--region-context (beg end)
  (list :uri (eglot--path-to-uri (buffer-file-name))
        :range (list :start (eglot--pos-to-lsp-position beg) :end (eglot--pos-to-lsp-position end))))

;;;###autoload
(defun chatls-chat (prompt &optional beg end profile)
  "Send PROMPT to ChatLS; with a region (BEG END), about that code.
PROFILE names a profile other than the default.
The reply streams into *chatls*."
  (interactive
   (list (read-string "ChatLS: ")
         (and (use-region-p) (region-beginning))
         (and (use-region-p) (region-end))))
  (let* ((server (chatls--server))
         (params (append (list :prompt prompt)
                         (and chatls-conversation-id (list :conversationId chatls-conversation-id))
                         (and profile (list :profile profile))
                         (and beg end (list :context (chatls--region-context beg end))))))
    (chatls--start-section "You")
    (chatls--append prompt)
    (setq chatls--streaming-message nil)
    ;; jsonrpc 1.0.14's public async call returns nil; the internal one returns (ID TIMER), and the id is
    ;; what `$/cancelRequest' needs.
    (let ((id (car (jsonrpc--async-request-1
                    server :chatls/chat params
                    :timeout chatls-request-timeout
                    :success-fn (lambda (result)
                                  (chatls--set-status nil)
                                  (setq chatls--pending nil
                                        chatls-last-result result
                                        chatls-conversation-id (plist-get result :conversationId))
                                  (chatls--append (format "\n\n_%s · %s_" (plist-get result :model)
                                                          (plist-get result :finishReason))))
                    :error-fn (lambda (err)
                                (chatls--set-status nil)
                                (setq chatls--pending nil)
                                (chatls--append (format "\n\n[%s]" (plist-get err :message))))))))
      (setq chatls--pending (cons server id))
      id)))

(defun chatls-cancel ()
  "Stop the reply in progress.
The server keeps the partial reply, marked cancelled."
  (interactive)
  (when chatls--pending
    (jsonrpc-notify (car chatls--pending) :$/cancelRequest (list :id (cdr chatls--pending)))
    (setq chatls--pending nil)
    (chatls--set-status nil)
    t))

(defun chatls-new-conversation ()
  "Make the next `chatls-chat' start a new conversation."
  (interactive)
  (setq chatls-conversation-id nil chatls--streaming-message nil))

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

;; eglot up to Emacs 29 runs a code action's command through `eglot-execute-command'.
(cl-defmethod eglot-execute-command :around (server command arguments)
  "Ask for chatls.editSelection's instruction; keep ChatLS command results."
  (if (chatls--action-command-p command)
      (chatls--note-result
       (cl-call-next-method server command (chatls--complete-arguments command arguments)))
    (cl-call-next-method)))

;; Emacs 30's eglot runs it through `eglot-execute' with the CodeAction or Command object instead.
;; (Only eglot 1.9 is tested here; this follows the newer generic's documented contract.)
(when (and (fboundp 'eglot-execute) (cl-generic-p 'eglot-execute))
  (cl-defmethod eglot-execute :around (server action)
    "Ask for chatls.editSelection's instruction; keep ChatLS command results."
    (let ((command (plist-get action :command)))
      (cond ((and (stringp command) (chatls--action-command-p command)) ; a Command
             (let ((arguments (chatls--complete-arguments command (plist-get action :arguments))))
               (chatls--note-result
                (cl-call-next-method server (plist-put (copy-sequence action) :arguments arguments)))))
            ((and (consp command) (chatls--action-command-p (plist-get command :command))) ; a CodeAction
             (let ((arguments (chatls--complete-arguments (plist-get command :command)
                                                          (plist-get command :arguments))))
               (cl-call-next-method
                server (plist-put (copy-sequence action) :command
                                  (plist-put (copy-sequence command) :arguments arguments)))))
            (t (cl-call-next-method))))))

(provide 'chatls)
;;; chatls.el ends here
