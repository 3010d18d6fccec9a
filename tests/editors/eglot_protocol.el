;;; eglot_protocol.el --- Emacs 28 + eglot 1.9 driving `chatls serve', no helper  -*- lexical-binding: t -*-

;;; Commentary:

;; The bare eglot recipe of docs/editors.md: an `eglot-server-programs' entry with :initializationOptions,
;; `jsonrpc-request' for chatls/chat and a `chatls/delta' notification method.  Run by test_editors.py:
;;   CHATLS_E2E_PLAN='{...}' emacs --batch -Q -l eglot_protocol.el
;; Observes only (see e2e.el); the pytest wrapper asserts.

;;; Code:

(load (expand-file-name "e2e.el" (file-name-directory load-file-name)) nil t)

(defvar e2e-deltas nil "Every chatls/delta, newest first.")

(cl-defmethod eglot-handle-notification (_server (_method (eql chatls/delta)) &rest delta &allow-other-keys)
  (push delta e2e-deltas))

(defun e2e-delta-text (message-id)
  (mapconcat (lambda (d) (or (plist-get d :content) ""))
             (cl-remove-if-not (lambda (d) (equal (plist-get d :messageId) message-id)) (reverse e2e-deltas))
             ""))

(defun e2e-streamed (result)
  "The text the deltas of RESULT's message add up to (give the last one a moment)."
  (let ((id (plist-get result :messageId)))
    (e2e-wait-for (lambda () (>= (length (e2e-delta-text id)) (length (or (plist-get result :content) "")))) 1)
    (e2e-delta-text id)))

(defun e2e-command (range command-id)
  (let ((actions (e2e-actions range)))
    (or (cl-loop for action across actions
                 when (equal (plist-get (e2e-command-of action) :command) command-id)
                 return (e2e-command-of action))
        (error "%s not offered" command-id))))

(defun e2e-execute (command &optional instruction)
  "Run COMMAND; with INSTRUCTION, add it to the selection argument as the editor is meant to."
  (let ((args (copy-sequence (plist-get command :arguments))))
    (when instruction
      (aset args 0 (plist-put (copy-sequence (aref args 0)) :instruction instruction)))
    (e2e-request :workspace/executeCommand (list :command (plist-get command :command) :arguments args))))

(defun e2e-run ()
  (e2e-step :start (e2e-start))
  (unless e2e-server (error "eglot did not start the server"))

  (e2e-step :chat
    (let ((result (e2e-request :chatls/chat
                               (list :prompt (e2e-get :chat :prompt) :workspaceUri (e2e-get :workspaceUri)))))
      (e2e-observe :chat (list :result result))
      (e2e-observe :chatDeltaText (e2e-streamed result))
      (e2e-observe :followUp
                   (list :result (e2e-request :chatls/chat
                                              (list :prompt (e2e-get :chat :followUp)
                                                    :conversationId (plist-get result :conversationId)))))))

  (e2e-step :actions
    (with-current-buffer (e2e-open (e2e-get :files :explain :path))
      (let* ((range (e2e-get :files :explain :range))
             (actions (e2e-actions range)))
        (e2e-observe :actions
                     (vconcat (cl-loop for action across actions
                                       collect (list :title (plist-get action :title)
                                                     :kind (plist-get action :kind)
                                                     :command (plist-get (e2e-command-of action) :command)))))
        (e2e-observe :actionsWithDiagnostic
                     (vconcat (cl-loop for action across (e2e-actions range (vector (e2e-get :diagnostic)))
                                       collect (plist-get (e2e-command-of action) :command))))
        (let ((result (e2e-execute (e2e-command range "chatls.explain"))))
          (e2e-observe :explain (list :result result))
          (e2e-observe :explainDeltaText (e2e-streamed result))))))

  (e2e-step :editSelection
    (with-current-buffer (e2e-open (e2e-get :files :edit :path))
      (let ((before (e2e-buffer-text))
            (command (e2e-command (e2e-get :files :edit :range) "chatls.editSelection")))
        (e2e-observe :edit (list :result (e2e-execute command (e2e-get :files :edit :instruction))))
        (e2e-wait-for (lambda () (not (equal before (e2e-buffer-text)))) 5)
        (e2e-observe :editBuffer (e2e-buffer-text)))))

  (e2e-step :improveViaMenu
    ;; eglot's own menu (M-x eglot-code-actions on the region); completing-read answers with Improve.
    (with-current-buffer (e2e-open (e2e-get :files :improve :path))
      (let ((before (e2e-buffer-text)))
        (e2e-observe :improveMenu (e2e-menu (e2e-get :files :improve :range) "chatls.improve"))
        (e2e-wait-for (lambda () (not (equal before (e2e-buffer-text)))) 5)
        (e2e-observe :improveBuffer (e2e-buffer-text)))))

  (e2e-step :conversations (e2e-observe-conversations)))

(e2e-step :driver (e2e-run))
(e2e-finish)

;;; eglot_protocol.el ends here
